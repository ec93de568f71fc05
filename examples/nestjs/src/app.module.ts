import { Module, type DynamicModule } from '@nestjs/common';
import type { ShopConfig } from './config.js';
import { NotifyController } from './notify.controller.js';
import { ShopController } from './shop.controller.js';
import { ShopStore } from './store.js';
import { CONFIG, LOGGER, STORE, type Logger } from './tokens.js';
import { wxpayProviders } from './wxpay.providers.js';

@Module({})
export class AppModule {
  static forRoot(config: ShopConfig, options: { store?: ShopStore; logger?: Logger } = {}): DynamicModule {
    return {
      module: AppModule,
      controllers: [ShopController, NotifyController],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: STORE, useValue: options.store ?? new ShopStore() },
        { provide: LOGGER, useValue: options.logger ?? console },
        ...wxpayProviders,
      ],
    };
  }
}
