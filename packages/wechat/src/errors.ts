/**
 * One error family for everything the SDK can refuse or fail at. Subclasses say what the caller should do:
 * fix configuration, distrust the input, retry, or handle a business answer from WeChat.
 * Messages never carry keys, session_key or whole bodies.
 */

export type WxPayErrorOptions = {
  /** WeChat's own code when there is one (err_code, errcode, v3 `code`). */
  code?: string | undefined;
  /** Whether sending the same request again can help. */
  retriable?: boolean | undefined;
  /** WeChat's Request-ID (v3) or our own correlation id. */
  requestId?: string | undefined;
  cause?: unknown;
};

export class WxPayError extends Error {
  readonly code: string | undefined;
  readonly retriable: boolean;
  readonly requestId: string | undefined;

  constructor(message: string, options: WxPayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.retriable = options.retriable ?? false;
    this.requestId = options.requestId;
  }
}

/** Bad options at construction (a missing key, an unreadable PEM): fix the configuration. */
export class WxPayConfigError extends WxPayError {
  readonly field: string | undefined;
  constructor(message: string, options: WxPayErrorOptions & { field?: string } = {}) {
    super(message, options);
    this.field = options.field;
  }
}

/** A request value that WeChat would refuse; detected before anything is sent. */
export class WxPayValidationError extends WxPayError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`, { code: 'VALIDATION' });
    this.field = field;
  }
}

export type SignatureFailure =
  | 'missing_header'
  | 'stale_timestamp'
  | 'unknown_serial'
  | 'bad_signature'
  | 'missing_signature'
  | 'unsupported_sign_type';

/** A signature that does not verify: forged input, or a misconfigured key. */
export class WxPaySignatureError extends WxPayError {
  readonly reason: SignatureFailure;
  constructor(reason: SignatureFailure, message: string, options: WxPayErrorOptions = {}) {
    super(message, { ...options, code: options.code ?? 'SIGN_ERROR' });
    this.reason = reason;
  }
}

/** Ciphertext that cannot be decrypted or authenticated (wrong key, tampered data, unexpected algorithm). */
export class WxPayDecryptError extends WxPayError {
  constructor(message: string, options: WxPayErrorOptions = {}) {
    super(message, { ...options, code: options.code ?? 'DECRYPT_ERROR' });
  }
}

/** Malformed wire data: not WeChat's XML dialect, a DOCTYPE, bad JSON, a missing field. */
export class WxPayProtocolError extends WxPayError {
  constructor(message: string, options: WxPayErrorOptions = {}) {
    super(message, { ...options, code: options.code ?? 'PROTOCOL_ERROR' });
  }
}

/** A business answer from WeChat (ORDERPAID, ORDERCLOSED, OUT_TRADE_NO_USED, 40029, …). */
export class WxPayApiError extends WxPayError {
  /** WeChat's human-readable description (err_code_des, errmsg, message). */
  readonly description: string | undefined;
  /** HTTP status for v3 answers. */
  readonly status: number | undefined;
  constructor(message: string, options: WxPayErrorOptions & { description?: string; status?: number } = {}) {
    super(message, options);
    this.description = options.description;
    this.status = options.status;
  }
}

/** The request did not complete. `outcomeUnknown` when it may have reached WeChat. */
export class WxPayNetworkError extends WxPayError {
  readonly outcomeUnknown: boolean;
  constructor(message: string, options: WxPayErrorOptions & { outcomeUnknown: boolean }) {
    super(message, { ...options, retriable: options.retriable ?? true, code: options.code ?? 'NETWORK_ERROR' });
    this.outcomeUnknown = options.outcomeUnknown;
  }
}
