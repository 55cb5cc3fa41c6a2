/**
 * Type declarations for the embedded emulators, which ship none: only the parts lib/local uses.
 */
declare module 'kinesalite' {
  import type { Server } from 'http';
  /** Options of kinesalite's factory (see its README). */
  interface KinesaliteOptions {
    path?: string;
    createStreamMs?: number;
    deleteStreamMs?: number;
    updateStreamMs?: number;
    shardLimit?: number;
  }
  /** Returns a standard Node.js HTTP server; its close() also closes the LevelDB store. */
  function kinesalite(options?: KinesaliteOptions): Server;
  export = kinesalite;
}

declare module 'dynalite' {
  import type { Server } from 'http';
  /** Options of dynalite's factory (see its readme). */
  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }
  /** Returns a standard Node.js HTTP server; its close() also closes the LevelDB store. */
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}

declare module 's3rver' {
  import type { Server } from 'http';
  /** The s3rver options lib/local uses (see its README for the others). */
  interface S3rverOptions {
    port?: number;
    address?: string;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
  }
  /** An S3 emulator (a Koa app); `run()` starts its HTTP server. */
  class S3rver {
    constructor(options?: S3rverOptions);
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    httpServer?: Server;
  }
  export = S3rver;
}

declare module 's3rver/lib/models/account' {
  /** An s3rver account: its access key ids and their secrets. */
  interface AWSAccount {
    accessKeys: Map<string, string>;
    createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  }
  /** The module: the account class, with its registry (access key id to account) and the one account. */
  const AWSAccount: {
    /** How requests are authenticated: their access key id must be here. */
    registry: Map<string, AWSAccount>;
    /** The account every request of this emulator belongs to (key pair S3RVER/S3RVER). */
    DUMMY_ACCOUNT: AWSAccount;
  };
  export = AWSAccount;
}
