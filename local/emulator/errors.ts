/**
 * An error the emulated service answers with. `code` is what the SDK exposes as `err.name`;
 * `status` is the HTTP status AWS uses for it.
 */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** SNS distinguishes caller mistakes (`Sender`) from its own (`Receiver`). */
  readonly fault: 'Sender' | 'Receiver';

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.fault = status >= 500 ? 'Receiver' : 'Sender';
  }
}

export const missingParameter = (name: string): ApiError =>
  new ApiError('MissingParameter', `The request must contain the parameter ${name}`);

export const invalidValue = (message: string): ApiError => new ApiError('InvalidParameterValue', message);
