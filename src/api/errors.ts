// One error taxonomy for the whole engine; `statusOf` is the only place that
// turns an error into an HTTP status (moby's httpstatus.FromError).

export class EngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request itself is wrong. */
export class InvalidArgument extends EngineError {}
/** 404: the object named does not exist. */
export class NotFound extends EngineError {}
/** 409: the request clashes with the current state. */
export class Conflict extends EngineError {}
/** 304: nothing to do (start of a running container, …). */
export class NotModified extends EngineError {}
/** 401 */
export class Unauthorized extends EngineError {}
/** 403 */
export class Forbidden extends EngineError {}
/** 503 */
export class Unavailable extends EngineError {}
/** 501 */
export class NotImplemented extends EngineError {}
/** 500 with a message meant for the user (runtime failures, …). */
export class SystemError extends EngineError {}

export function statusOf(err: unknown): number {
  if (err instanceof InvalidArgument) return 400;
  if (err instanceof NotFound) return 404;
  if (err instanceof Conflict) return 409;
  if (err instanceof NotModified) return 304;
  if (err instanceof Unauthorized) return 401;
  if (err instanceof Forbidden) return 403;
  if (err instanceof Unavailable) return 503;
  if (err instanceof NotImplemented) return 501;
  if (err instanceof SyntaxError) return 400; // malformed JSON bodies
  return 500;
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] || err.name;
  return String(err);
}
