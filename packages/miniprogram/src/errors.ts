// The client's error family. Payment outcomes (cancelled, failed, pending) are results, not
// errors; these are thrown only when a call cannot produce an answer at all.

export class ClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The server answered with an error (`{error:{code,message}}`) or an unexpected status. */
export class ClientApiError extends ClientError {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** wx.request failed before an HTTP answer arrived (offline, timeout, domain not whitelisted). */
export class ClientNetworkError extends ClientError {
  readonly errMsg: string;
  constructor(errMsg: string) {
    super(`request failed: ${errMsg}`);
    this.errMsg = errMsg;
  }
}

/** wx.login failed, or the server refused the code. */
export class ClientLoginError extends ClientError {
  readonly errMsg: string;
  constructor(errMsg: string) {
    super(`login failed: ${errMsg}`);
    this.errMsg = errMsg;
  }
}

/** The server's answer did not have the agreed shape (a version mismatch, a proxy page). */
export class ClientProtocolError extends ClientError {}
