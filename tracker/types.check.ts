// Compile-time checks of footfall.d.ts, run by `npm run typecheck` (never executed): the declared types
// accept what the README shows and refuse what the tracker would not understand.
import type { Footfall, FootfallCoreFn } from './footfall.js';

export function checkFootfallTypes(footfall: Footfall, core: FootfallCoreFn): void {
  footfall.track('Newsletter Signed Up', { list: 'weekly' });
  footfall('track', 'Newsletter Signed Up');
  footfall.page();
  footfall('page', 'Pricing', { plan: 'pro' });
  footfall.identify('u_42', { plan: 'pro' });
  footfall.identify({ plan: 'pro' });
  const anonymousId: string = footfall('anonymousId');
  const flushed: Promise<void> = footfall.flush();
  footfall('consent', 'pending');
  footfall.orderCompleted({
    orderId: 'o1',
    total: '41.50',
    currency: 'USD',
    products: [{ productId: 'p1' }],
  });
  footfall('productAdded', { productId: 'p1', price: 18, quantity: 1, cartId: 'c1' });
  core('reset');
  window.footfall?.track('After load');

  // @ts-expect-error: not a method
  footfall('trak', 'Typo');
  // @ts-expect-error: not a consent state
  footfall.consent('yes');
  // @ts-expect-error: the server needs an order id
  footfall.orderCompleted({ total: 10 });
  // @ts-expect-error: the core build has no eCommerce helpers
  core.productViewed({ productId: 'p1' });
  void anonymousId;
  void flushed;
}
