import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import { nestNotify, type NestRequestLike, type NestResponseLike, type NotifyHandler } from '@wxpay-kit/wechat/nestjs';
import { NOTIFY } from './tokens.js';

/**
 * WeChat's notifications. @Req()/@Res() leave the answer to the adapter (204 only after onNotice resolved; 401 for
 * anything not authentic). The app is created with `rawBody: true`, so the exact bytes survive the JSON parser.
 */
@Controller('wxpay')
export class NotifyController {
  private readonly handle: (req: NestRequestLike, res: NestResponseLike) => Promise<void>;

  constructor(@Inject(NOTIFY) handler: NotifyHandler) {
    this.handle = nestNotify(handler);
  }

  @Post('notify')
  notify(@Req() req: NestRequestLike, @Res() res: NestResponseLike): Promise<void> {
    return this.handle(req, res);
  }
}
