import * as z from 'zod/mini';
import { organizationSection } from '../src/config/environment.ts';
import { describeOrganizationAccounts } from '../src/aws/organizations.ts';
import { AwsRefusal } from '../src/mirroring/errors.ts';
import { InvalidInput } from '../src/mirroring/input.ts';
import { normalizeReconcileInput, type Place, type ReconcileRequest } from '../src/mirroring/reconcile-input.ts';
import { MAX_RECONCILE_PLACES, reconcilePlaces, scopeNeedsOrganizations } from '../src/organization/scope.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { logger } from '../src/lambda/logger.ts';
import { parseOrThrow } from '../src/validation.ts';

const inputSchema = z.object({ request: z.unknown() });

export interface PlacesOutput {
  request: ReconcileRequest;
  /** One entry per place the reconcile covers; `null` is the stack's own account, without an organization. */
  places: (Place | null)[];
}

/** Which accounts and Regions a reconcile covers: its event's, the one asked for, or every one in scope. */
export const handler = lambdaHandler<unknown, PlacesOutput>(async (event) => {
  const input = parseOrThrow(inputSchema, event, (d) => new InvalidInput(d));
  const request = normalizeReconcileInput(input.request);
  const org = organizationSection();
  if (!org) return { request, places: [null] };
  const needs = scopeNeedsOrganizations(org);
  const accounts = !request.place && needs.accounts ? await describeOrganizationAccounts(needs.units) : undefined;
  const places = reconcilePlaces(org, accounts, request.place);
  if (places.length > MAX_RECONCILE_PLACES)
    throw new AwsRefusal(
      'TooManyPlaces',
      `the organization's scope holds ${places.length} accounts x Regions, more than the ${MAX_RECONCILE_PLACES} one ` +
        'reconcile covers: narrow organization.accounts or organization.regions, or deploy a central stack per group of Regions',
      'too-many-places',
    );
  logger.info('reconcile places', { places: places.length, asked: request.place !== undefined });
  return { request, places };
});
