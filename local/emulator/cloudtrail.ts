import { ApiError } from './errors.ts';
import type { Account, TrailRecord } from './state.ts';

/**
 * CloudTrail's DescribeTrails, GetTrailStatus and GetEventSelectors over JSON 1.1
 * (`X-Amz-Target: CloudTrail_20131101.<Action>`), as the API reference documents them:
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DescribeTrails.html
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetEventSelectors.html
 * A region's endpoint knows its own trails and, as shadow trails, other regions' multi-region trails;
 * a shadow trail is named by its ARN only ("To get the status of a shadow trail ... you must specify
 * its ARN").
 */

export type CloudTrailHandler = (input: Record<string, unknown>, account: Account) => Record<string, unknown>;

/** The trails this region's endpoint answers for. */
function visible(account: Account): TrailRecord[] {
  return account.trails.filter((t) => t.homeRegion === account.region || t.multiRegion);
}

function trailNamed(account: Account, nameOrArn: unknown, parameter: string): TrailRecord {
  if (typeof nameOrArn !== 'string' || nameOrArn === '')
    throw new ApiError('InvalidTrailNameException', `${parameter} is required`);
  const trail = nameOrArn.startsWith('arn:')
    ? visible(account).find((t) => t.arn === nameOrArn)
    : account.trails.find((t) => t.name === nameOrArn && t.homeRegion === account.region);
  if (!trail)
    throw new ApiError('TrailNotFoundException', `Unknown trail: ${nameOrArn} for the user: ${account.accountId}`);
  return trail;
}

function describeTrails(input: Record<string, unknown>, account: Account) {
  const includeShadow = input.includeShadowTrails !== false;
  const names = Array.isArray(input.trailNameList) ? (input.trailNameList as unknown[]) : undefined;
  let trails = visible(account).filter((t) => includeShadow || t.homeRegion === account.region);
  if (names && names.length > 0) trails = trails.filter((t) => names.includes(t.name) || names.includes(t.arn));
  return {
    trailList: trails.map((t) => ({
      Name: t.name,
      TrailARN: t.arn,
      HomeRegion: t.homeRegion,
      IsMultiRegionTrail: t.multiRegion,
      IncludeGlobalServiceEvents: true,
      IsOrganizationTrail: false,
      S3BucketName: `aws-cloudtrail-logs-${account.accountId}`,
      HasCustomEventSelectors: t.eventSelectors !== undefined || t.advancedEventSelectors !== undefined,
      HasInsightSelectors: false,
      LogFileValidationEnabled: false,
    })),
  };
}

function getTrailStatus(input: Record<string, unknown>, account: Account) {
  const trail = trailNamed(account, input.Name, 'Name');
  return { IsLogging: trail.logging };
}

/** A trail created without selectors logs every management event, read and write (API reference, EventSelector). */
function getEventSelectors(input: Record<string, unknown>, account: Account) {
  const trail = trailNamed(account, input.TrailName, 'TrailName');
  if (trail.advancedEventSelectors) {
    return {
      TrailARN: trail.arn,
      AdvancedEventSelectors: trail.advancedEventSelectors.map((a) => ({
        ...(a.name ? { Name: a.name } : {}),
        FieldSelectors: a.fieldSelectors.map((f) => ({
          Field: f.field,
          ...(f.equals ? { Equals: f.equals } : {}),
          ...(f.notEquals ? { NotEquals: f.notEquals } : {}),
        })),
      })),
    };
  }
  const selectors = trail.eventSelectors ?? [
    { readWriteType: 'All', includeManagementEvents: true, excludeManagementEventSources: [] },
  ];
  return {
    TrailARN: trail.arn,
    EventSelectors: selectors.map((s) => ({
      ReadWriteType: s.readWriteType,
      IncludeManagementEvents: s.includeManagementEvents,
      DataResources: [],
      ExcludeManagementEventSources: s.excludeManagementEventSources,
    })),
  };
}

export const CLOUDTRAIL_ACTIONS: Record<string, CloudTrailHandler> = {
  DescribeTrails: describeTrails,
  GetTrailStatus: getTrailStatus,
  GetEventSelectors: getEventSelectors,
};
