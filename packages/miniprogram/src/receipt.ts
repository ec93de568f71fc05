// The confirm-receipt component (确认收货组件): wx.openBusinessView({businessType: 'weappOrderConfirm'}). WeChat answers
// the buyer's choice only when the buyer comes back: App.onShow, with referrerInfo from the component's appId. So the
// client registers a wx.onAppShow listener before opening and waits for the return. The answer is a hint for the UI;
// what counts is what the server finds when it asks WeChat (get_order), as WeChat's documentation requires.
import { ClientError } from './errors.js';
import type { WxApi, WxAppShowResult } from './wx-api.js';

/** The component's appId in App.onShow's referrerInfo. */
export const CONFIRM_COMPONENT_APPID = 'wx1183b055aeec94d1';

export type ComponentStatus = 'success' | 'fail' | 'cancel' | 'unknown';
export interface ComponentAnswer {
  status: ComponentStatus;
  errormsg?: string;
}

export type ComponentResult = { opened: true; answer: ComponentAnswer } | { opened: false; errMsg: string };

/** `{status, errormsg?}` from the component's extraData; undefined when it is not one. */
export function readComponentAnswer(extraData: unknown): ComponentAnswer | undefined {
  if (typeof extraData !== 'object' || extraData === null) return undefined;
  const data = extraData as Record<string, unknown>;
  const status = data['status'];
  if (status !== 'success' && status !== 'fail' && status !== 'cancel') return undefined;
  const answer: ComponentAnswer = { status };
  if (typeof data['errormsg'] === 'string' && data['errormsg'] !== '') answer.errormsg = data['errormsg'];
  return answer;
}

/**
 * Open the component and resolve with the buyer's answer: from `success`'s extraData when the runtime gives it there
 * (the browser shim does), else from the next App.onShow (`unknown` when the app came back some other way, or when
 * the runtime has no wx.onAppShow to tell).
 */
export function openConfirmComponent(wx: WxApi, extraData: Record<string, string>): Promise<ComponentResult> {
  const open = wx.openBusinessView;
  if (typeof open !== 'function') {
    return Promise.reject(new ClientError('wx.openBusinessView is not available (base library 2.6.0+ is needed for confirmReceipt)'));
  }
  return new Promise((resolve) => {
    let done = false;
    const listen = typeof wx.onAppShow === 'function';
    const listener = (res: WxAppShowResult): void => {
      const info = res?.referrerInfo;
      const fromComponent = info?.appId === CONFIRM_COMPONENT_APPID ? readComponentAnswer(info.extraData) : undefined;
      finish({ opened: true, answer: fromComponent ?? { status: 'unknown' } });
    };
    const finish = (result: ComponentResult): void => {
      if (done) return;
      done = true;
      if (listen) wx.offAppShow?.(listener);
      resolve(result);
    };
    // Listen first: the return may come quickly.
    if (listen) wx.onAppShow?.(listener);
    open.call(wx, {
      businessType: 'weappOrderConfirm',
      extraData,
      success: (res) => {
        const direct = readComponentAnswer(res?.extraData);
        if (direct !== undefined) finish({ opened: true, answer: direct });
        else if (!listen) finish({ opened: true, answer: { status: 'unknown' } });
      },
      fail: (err) => finish({ opened: false, errMsg: typeof err?.errMsg === 'string' ? err.errMsg : 'openBusinessView:fail' }),
    });
  });
}
