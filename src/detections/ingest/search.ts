/**
 * The body of `POST /api/v1/detections/search` for one page of a poll window. The status filter names
 * every status and `.none` (status null, "Open" in the UI): a filter without `.none` silently drops
 * every open detection.
 */

/** The appliance's largest `limit` for one search. */
export const MAX_SEARCH_LIMIT = 20_000;

export const SEARCH_STATUSES = ['.none', 'new', 'in_progress', 'acknowledged', 'closed'] as const;

export interface SearchFilterOptions {
  /** Only security detections (`sec`), the default; false also fetches performance detections. */
  securityOnly?: boolean;
  /** Server-side floor; the lifecycle still decides per update whether anyone is told. */
  riskScoreMin?: number;
}

export interface DetectionSearch {
  mod_time: number;
  until: 0;
  limit: number;
  offset: number;
  sort: [{ field: 'mod_time'; direction: 'asc' }];
  filter: { categories?: string[]; risk_score_min?: number; status: string[] };
}

export function detectionSearch(
  modTime: number,
  offset: number,
  limit: number,
  options: SearchFilterOptions = {},
): DetectionSearch {
  const filter: DetectionSearch['filter'] = { status: [...SEARCH_STATUSES] };
  if (options.securityOnly ?? true) filter.categories = ['sec'];
  if (options.riskScoreMin !== undefined) filter.risk_score_min = options.riskScoreMin;
  return { mod_time: modTime, until: 0, limit, offset, sort: [{ field: 'mod_time', direction: 'asc' }], filter };
}
