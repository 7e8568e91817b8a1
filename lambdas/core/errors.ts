/**
 * Every error the API can answer with. Each carries a stable `code` and the HTTP status it maps to;
 * `toErrorBody` is the one place that turns any thrown value into the public error shape.
 */
export class RunlaterError extends Error {
  readonly status: number = 500;
  readonly code: string = 'internal';
  readonly details?: Record<string, unknown>;

  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options?.details;
  }
}

/** 400: the request is malformed or names a bad value. `field` names the offending input. */
export class ValidationError extends RunlaterError {
  override readonly status: number = 400;
  override readonly code: string = 'invalid_request';
  constructor(
    message: string,
    readonly field?: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options);
  }
}

/** 415: a body that is not declared as JSON; `field` is `Content-Type`. */
export class UnsupportedMediaTypeError extends ValidationError {
  override readonly status = 415;
  override readonly code = 'unsupported_media_type';
  constructor(message: string) {
    super(message, 'Content-Type');
  }
}

export class UnauthorizedError extends RunlaterError {
  override readonly status = 401;
  override readonly code = 'unauthorized';
}

export class ForbiddenError extends RunlaterError {
  override readonly status = 403;
  override readonly code = 'forbidden';
}

export class NotFoundError extends RunlaterError {
  override readonly status = 404;
  override readonly code = 'not_found';
}

export class ConflictError extends RunlaterError {
  override readonly status = 409;
  override readonly code: string = 'conflict';
}

/** A conditional write met a record in another state than the transition expects. */
export class TransitionConflictError<T = unknown> extends ConflictError {
  override readonly code = 'invalid_state';
  constructor(
    message: string,
    readonly current: T | undefined,
  ) {
    super(message);
  }
}

/** 410: what the request needs existed once and is gone for good (removed by retention). */
export class GoneError extends RunlaterError {
  override readonly status = 410;
  override readonly code = 'gone';
}

export class PayloadTooLargeError extends RunlaterError {
  override readonly status = 413;
  override readonly code = 'payload_too_large';
}

export class ThrottledError extends RunlaterError {
  override readonly status = 429;
  override readonly code = 'throttled';
  /** Sent as Retry-After. */
  retryAfterSeconds?: number;
}

/**
 * The infrastructure could not start a task now (throttling, no capacity). Never a reason to fail a
 * job: the attempt is tried again later.
 */
export class RetryLaterError extends RunlaterError {
  override readonly code = 'retry_later';
  constructor(
    message: string,
    readonly reason: 'throttled' | 'capacity' | 'unavailable',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ErrorBody {
  error: { code: string; message: string; field?: string; details?: Record<string, unknown> };
}

/** Maps anything thrown to `{status, body}`. Unknown errors become a 500 without internals. */
export function toErrorBody(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof RunlaterError && err.status < 500) {
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err instanceof ValidationError && err.field) body.error.field = err.field;
    if (err.details) body.error.details = err.details;
    return { status: err.status, body };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'Internal error' } } };
}
