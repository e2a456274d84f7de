import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../src/config/schema.ts';
import { FILTER_TAG } from '../src/mirroring/types.ts';
import type { OrganizationSeed } from './emulator/organization.ts';
import { memberRoleOf } from './member-role.ts';

/**
 * A scenario's organization: `central` names the central account, and `accounts` holds each account
 * with, per Region, what a single-account scenario holds (instances, ENIs, targets, filters,
 * sessions). The central account's first Region is the home one (where the stack runs); every other
 * account and Region is a place of the emulated organization. A member has the member template
 * deployed in each of its Regions (its role and its tagged filter) unless `memberTemplate: false`, or
 * lacks it in the Regions `memberTemplate` does not list. `shares` are the RAM shares of the
 * central account's targets.
 */

const accountId = z.string().regex(/^\d{12}$/, { message: 'expected a 12-digit account id, quoted in YAML' });
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'expected a region like us-east-1' });

export const scenarioOrganizationSchema = z
  .object({
    central: accountId,
    accounts: z
      .array(
        z
          .object({
            id: accountId,
            /** true: in every Region; a list: only those Regions; false: nowhere. */
            memberTemplate: z.union([z.boolean(), z.array(region)]).default(true),
            regions: z.record(region, z.record(z.string(), z.unknown())),
          })
          .strict(),
      )
      .min(1),
    shares: z
      .array(
        z
          .object({
            target: z.string().regex(/^tmt-[0-9a-z]+$/, { message: 'expected a target id (tmt-...)' }),
            region,
            /** Default: every account of the scenario but the central one. */
            accounts: z.array(accountId).optional(),
            accepted: z.boolean().default(true),
          })
          .strict(),
      )
      .default([]),
  })
  .strict()
  .superRefine((org, ctx) => {
    const central = org.accounts.find((a) => a.id === org.central);
    if (!central)
      ctx.addIssue({ code: 'custom', path: ['central'], message: `account ${org.central} is not among accounts` });
    else if (Object.keys(central.regions).length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['accounts'],
        message: 'expected at least one Region of the central account',
      });
  });
export type ScenarioOrganization = z.infer<typeof scenarioOrganizationSchema>;

/** The filter id the member template's filter has in the emulated member (one per account and Region). */
export const memberFilterId = (account: string, regionName: string) =>
  `tmf-${account.slice(-6)}${createHash('sha256').update(regionName).digest('hex').slice(0, 6)}`;

/** The central account's home: its first Region's seed, with its account and Region. */
export function homeSeed(org: ScenarioOrganization): Record<string, unknown> {
  const central = org.accounts.find((a) => a.id === org.central)!;
  const [regionName, seed] = Object.entries(central.regions)[0]!;
  return { ...seed, accountId: org.central, region: regionName };
}

/** The emulated organization of the scenario, with the member template as the configuration makes it. */
export function organizationSeedOf(org: ScenarioOrganization, config: Config, stage: string): OrganizationSeed {
  const central = org.accounts.find((a) => a.id === org.central)!;
  const home = Object.keys(central.regions)[0];
  const deployed = (account: ScenarioOrganization['accounts'][number], regionName: string) =>
    account.id !== org.central &&
    (account.memberTemplate === true ||
      (Array.isArray(account.memberTemplate) && account.memberTemplate.includes(regionName)));
  const places: NonNullable<OrganizationSeed['places']> = [];
  const roles: NonNullable<OrganizationSeed['roles']> = [];
  for (const account of org.accounts)
    for (const [regionName, given] of Object.entries(account.regions)) {
      if (account.id === org.central && regionName === home) continue;
      const { sessions, ...seed } = given as { sessions?: Record<string, unknown>[] } & Record<string, unknown>;
      const filters = [...((seed.filters as unknown[] | undefined) ?? [])];
      if (deployed(account, regionName)) {
        const filterId = memberFilterId(account.id, regionName);
        filters.push({ id: filterId, tags: { [FILTER_TAG]: stage } });
        roles.push(memberRoleOf(config, stage, { accountId: account.id, region: regionName, filterId }));
      }
      places.push({ accountId: account.id, region: regionName, seed: { ...seed, filters }, sessions: sessions ?? [] });
    }
  const members = org.accounts.map((a) => a.id).filter((id) => id !== org.central);
  return {
    callerRoleArn: `arn:aws:iam::${org.central}:role/autotap-${stage}-ScenarioRole`,
    places,
    roles,
    shares: org.shares.map((s) => ({
      targetId: s.target,
      region: s.region,
      ownerAccountId: org.central,
      accounts: s.accounts ?? members,
      accepted: s.accepted,
    })),
  };
}
