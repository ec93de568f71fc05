// Compile-time proof that WeChat's own `wx` object (as typed by miniprogram-api-typings) fits
// the WxApi interface the client asks for. Checked by `tsc -p packages/miniprogram`, never run.
import type { WxApi } from './src/wx-api.js';

export const wxFitsWxApi: WxApi = wx;
