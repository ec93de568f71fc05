import { Body, Controller, Get, Headers, HttpCode, Inject, NotFoundException, Param, Post, Req, BadGatewayException, BadRequestException, UnauthorizedException } from '@nestjs/common';
import type { LoginClient, V3Client } from '@wxpay-kit/wechat';
import { WxPayError } from '@wxpay-kit/wechat';
import { PRODUCTS, priceCart } from './catalogue.js';
import type { ShopConfig } from './config.js';
import type { Order, ShopStore } from './store.js';
import { CONFIG, LOGIN, PAY, STORE } from './tokens.js';

function present({ orderId, outTradeNo, amount, status, items, createdAt, paidAt }: Order) {
  return { orderId, outTradeNo, amount, status, items, createdAt, ...(paidAt ? { paidAt } : {}) };
}

@Controller('api')
export class ShopController {
  constructor(
    @Inject(CONFIG) private readonly config: ShopConfig,
    @Inject(STORE) private readonly store: ShopStore,
    @Inject(LOGIN) private readonly login: LoginClient,
    @Inject(PAY) private readonly pay: V3Client,
  ) {}

  /** wx.login() code → code2Session → our own bearer token; session_key stays on the server. */
  @Post('login')
  @HttpCode(200)
  async signIn(@Body() body: { code?: unknown }) {
    if (typeof body?.code !== 'string' || body.code === '') throw new BadRequestException('code is required');
    try {
      const { openid } = await this.login.code2Session(body.code);
      return { token: this.store.createSession(openid) };
    } catch (error) {
      if (error instanceof WxPayError) throw new UnauthorizedException('wx.login code was not accepted');
      throw error;
    }
  }

  @Get('products')
  products() {
    return { products: PRODUCTS };
  }

  /** Priced on the server in fen → jsapiPrepay → exactly what wx.requestPayment takes. */
  @Post('orders')
  async createOrder(@Headers('authorization') authorization: string | undefined, @Body() body: { items?: unknown }, @Req() req: { protocol: string; get(name: string): string | undefined }) {
    const user = this.user(authorization);
    const priced = priceCart(body?.items);
    if (!priced.ok) throw new BadRequestException(priced.message);
    const order = this.store.createOrder({ openid: user.openid, amount: priced.amount, lines: priced.lines, now: Date.now() });
    try {
      const { prepay_id: prepayId } = await this.pay.jsapiPrepay({
        description: 'nest-shop order',
        out_trade_no: order.outTradeNo,
        notify_url: `${this.config.publicUrl || `${req.protocol}://${req.get('host') ?? ''}`}/wxpay/notify`,
        amount: { total: order.amount, currency: 'CNY' },
        payer: { openid: user.openid },
      });
      return { ...present(order), payParams: this.pay.payParams(prepayId) };
    } catch (error) {
      if (error instanceof WxPayError) throw new BadGatewayException('WeChat Pay did not accept the order; try again');
      throw error;
    }
  }

  @Get('orders/:orderId')
  order(@Headers('authorization') authorization: string | undefined, @Param('orderId') orderId: string) {
    const user = this.user(authorization);
    const order = this.store.order(orderId);
    if (order === undefined || order.openid !== user.openid) throw new NotFoundException('no such order');
    return present(order);
  }

  private user(authorization: string | undefined): { openid: string } {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
    const session = token === '' ? undefined : this.store.session(token);
    if (session === undefined) throw new UnauthorizedException('bearer token required');
    return session;
  }
}
