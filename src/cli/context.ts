// What every CLI command gets: the API client, output streams, and the
// error type that carries docker's exit codes.
import { Client, hostFromEnv } from '../client/client.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface GlobalOptions {
  host?: string;
  logLevel?: string;
  debug?: boolean;
}

export class CliContext {
  private _client?: Client;
  constructor(
    private readonly globals: () => GlobalOptions,
    readonly out: NodeJS.WritableStream = process.stdout,
    readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  get client(): Client {
    this._client ??= new Client(this.globals().host || hostFromEnv());
    return this._client;
  }

  print(line = ''): void {
    this.out.write(line + '\n');
  }

  get stdoutIsTTY(): boolean {
    return Boolean((this.out as NodeJS.WriteStream).isTTY);
  }
}
