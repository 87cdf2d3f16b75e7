/** An Okta API error the simulator answers with: HTTP status and Okta's error body fields. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly summary: string,
    readonly causes: string[] = [],
  ) {
    super(summary);
  }
}

export function groupNotFound(id: string): ApiError {
  return new ApiError(404, 'E0000007', `Not found: Resource not found: ${id} (UserGroup)`);
}

/** A positive integer `limit`, capped at `max` (Okta answers a larger one with its maximum). */
export function limitParam(raw: string | null, dflt: number, max: number): number {
  if (raw === null) return dflt;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new ApiError(400, 'E0000001', 'Api validation failed: limit', [
      'limit: must be a positive integer',
    ]);
  }
  return Math.min(max, Number(raw));
}
