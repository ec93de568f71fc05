// wx.requestSubscribeMessage with typed results. The user's choice is per template; each acceptance of a one-time
// template allows the server one subscribeMessage.send (a send without one is refused with 43101).
import { ClientError } from './errors.js';
import type { SubscribeChoice, SubscribeResult } from './types.js';
import type { WxApi } from './wx-api.js';

const CHOICES: ReadonlySet<string> = new Set<SubscribeChoice>(['accept', 'acceptWithAudio', 'acceptWithAlert', 'reject', 'ban', 'filter']);
const ACCEPTED: ReadonlySet<string> = new Set<SubscribeChoice>(['accept', 'acceptWithAudio', 'acceptWithAlert']);
/** WeChat takes at most 5 template ids per call. */
export const MAX_TEMPLATES = 5;

export function requestSubscribe(wx: WxApi, templateIds: readonly string[]): Promise<SubscribeResult> {
  if (
    !Array.isArray(templateIds) ||
    templateIds.length < 1 ||
    templateIds.length > MAX_TEMPLATES ||
    templateIds.some((id) => typeof id !== 'string' || id === '') ||
    new Set(templateIds).size !== templateIds.length
  ) {
    return Promise.reject(new ClientError(`requestSubscribe takes 1-${MAX_TEMPLATES} distinct template ids`));
  }
  const ask = wx.requestSubscribeMessage;
  if (typeof ask !== 'function') {
    return Promise.reject(new ClientError('wx.requestSubscribeMessage is not available (base library 2.4.4+)'));
  }
  return new Promise((resolve) => {
    ask.call(wx, {
      tmplIds: [...templateIds],
      success: (res) => {
        const choices: Record<string, SubscribeChoice> = {};
        for (const id of templateIds) {
          const value = res?.[id];
          if (typeof value === 'string' && CHOICES.has(value)) choices[id] = value as SubscribeChoice;
        }
        resolve({ accepted: templateIds.filter((id) => ACCEPTED.has(choices[id] ?? '')), choices });
      },
      fail: (err) => {
        const error: { errCode?: number; errMsg: string } = { errMsg: typeof err?.errMsg === 'string' ? err.errMsg : 'requestSubscribeMessage:fail' };
        if (typeof err?.errCode === 'number') error.errCode = err.errCode;
        resolve({ accepted: [], choices: {}, error });
      },
    });
  });
}
