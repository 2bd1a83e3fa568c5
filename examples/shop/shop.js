// Footfall Supply Co.: a static demo store instrumented with footfall.js.
//
// Everything a real store keeps on its server (cart, orders) lives in localStorage here, so the demo runs
// from plain files. The tracking calls are the part to copy: look for `footfall(`. The tracker turns the
// camelCase properties used below into Segment's snake_case (productId → product_id).
(() => {
  const CURRENCY = 'USD';
  const TAX_RATE = 0.08;
  const FREE_SHIPPING_FROM = 50;
  const SHIPPING_PRICES = { Standard: 5, Express: 12 };
  const COUPONS = { WELCOME10: { name: 'Welcome, 10% off', percentOff: 10 } };

  const PRODUCTS = [
    {
      id: 'mug',
      sku: 'FSC-MUG-01',
      name: 'Stoneware Mug',
      category: 'Kitchen',
      price: 18,
      description: 'Hand-glazed stoneware that keeps coffee warm through a long first email. 350 ml.',
    },
    {
      id: 'tote',
      sku: 'FSC-TOTE-01',
      name: 'Canvas Tote',
      category: 'Bags',
      price: 24,
      description:
        'Heavy organic canvas with long handles and an inside pocket for keys. Carries a week of groceries.',
    },
    {
      id: 'notebook',
      sku: 'FSC-NB-A5',
      name: 'Dot-Grid Notebook',
      category: 'Stationery',
      price: 12,
      description: 'A5, 192 numbered pages of 100 g paper that fountain pens love. Lies flat.',
    },
    {
      id: 'tee',
      sku: 'FSC-TEE-M',
      name: 'Organic Cotton Tee',
      category: 'Apparel',
      price: 32,
      description:
        'Midweight organic cotton, garment-dyed in terracotta. Cut to keep its shape wash after wash.',
    },
    {
      id: 'beanie',
      sku: 'FSC-BEANIE',
      name: 'Merino Beanie',
      category: 'Apparel',
      price: 28,
      description: 'Ribbed merino wool with a fold-up cuff and a pompom that survives the washing machine.',
    },
    {
      id: 'socks',
      sku: 'FSC-SOCKS-3',
      name: 'Trail Socks, 3-pack',
      category: 'Apparel',
      price: 16,
      description: 'Cushioned soles, reinforced heels, three colours. For long walks and short commutes.',
    },
  ];

  // ---------------------------------------------------------------------------------------------------
  // Tracking. The store must keep working when the tracker is blocked or fails to load, so every call
  // goes through this guard instead of touching window.footfall directly.
  const footfall = (method, ...args) => {
    const tracker = window.footfall;
    return typeof tracker?.[method] === 'function' ? tracker[method](...args) : undefined;
  };

  // ---------------------------------------------------------------------------------------------------
  // Small helpers.
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
  const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: CURRENCY });
  const round = (amount) => Math.round(amount * 100) / 100;
  const html = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const randomId = (prefix) =>
    `${prefix}${crypto.getRandomValues(new Uint32Array(1))[0].toString(36).toUpperCase().padStart(7, '0')}`;

  const saved = {
    get(key, fallback) {
      try {
        return JSON.parse(localStorage.getItem(`shop:${key}`)) ?? fallback;
      } catch {
        return fallback;
      }
    },
    set(key, value) {
      localStorage.setItem(`shop:${key}`, JSON.stringify(value));
    },
    remove(key) {
      localStorage.removeItem(`shop:${key}`);
    },
  };

  const findProduct = (id) => PRODUCTS.find((product) => product.id === id);
  const absolute = (path) => new URL(path, location.href).href;

  /** A product as the eCommerce spec describes it. */
  const productProperties = (product, extra = {}) => ({
    productId: product.id,
    sku: product.sku,
    name: product.name,
    category: product.category,
    brand: 'Footfall Supply Co.',
    price: product.price,
    currency: CURRENCY,
    url: absolute(`product.html?id=${product.id}`),
    imageUrl: absolute(`img/${product.id}.svg`),
    ...extra,
  });

  // ---------------------------------------------------------------------------------------------------
  // Cart: [{ id, quantity }] plus an optional coupon code.
  const readCart = () => saved.get('cart', []).filter((line) => findProduct(line.id) && line.quantity > 0);
  const writeCart = (cart) => {
    saved.set('cart', cart);
    renderCartCount();
  };
  const cartId = () => {
    let id = saved.get('cart-id');
    if (!id) {
      id = randomId('cart_');
      saved.set('cart-id', id);
    }
    return id;
  };
  const cartLines = () =>
    readCart().map((line) => ({ product: findProduct(line.id), quantity: line.quantity }));
  const lineProperties = (lines) =>
    lines.map(({ product, quantity }, index) =>
      productProperties(product, { quantity, position: index + 1 }),
    );

  function changeQuantity(id, delta) {
    const product = findProduct(id);
    const cart = readCart();
    const line = cart.find((l) => l.id === id);
    const before = line?.quantity ?? 0;
    const after = Math.max(0, Math.min(99, before + delta));
    if (after === before) return;
    if (line) line.quantity = after;
    else cart.push({ id, quantity: after });
    writeCart(cart.filter((l) => l.quantity > 0));
    const properties = productProperties(product, { quantity: Math.abs(after - before), cartId: cartId() });
    footfall(after > before ? 'productAdded' : 'productRemoved', properties);
  }

  function totals(lines, shippingMethod = 'Standard') {
    const subtotal = round(lines.reduce((sum, { product, quantity }) => sum + product.price * quantity, 0));
    const code = saved.get('coupon');
    const coupon = COUPONS[code];
    const discount = coupon ? round((subtotal * coupon.percentOff) / 100) : 0;
    const revenue = round(subtotal - discount);
    const isFree = shippingMethod === 'Standard' && revenue >= FREE_SHIPPING_FROM;
    const shipping = lines.length === 0 || isFree ? 0 : SHIPPING_PRICES[shippingMethod];
    const tax = round(revenue * TAX_RATE);
    const total = round(revenue + shipping + tax);
    return { subtotal, discount, coupon: coupon ? code : undefined, revenue, shipping, tax, total };
  }

  function renderTotals(container, t) {
    const rows = [
      ['Subtotal', money.format(t.subtotal)],
      ...(t.discount ? [[`Discount (${html(t.coupon)})`, `−${money.format(t.discount)}`]] : []),
      ['Shipping', t.shipping ? money.format(t.shipping) : 'Free'],
      ['Tax (8%)', money.format(t.tax)],
    ];
    container.innerHTML = `${rows.map(([label, value]) => `<div><dt>${label}</dt><dd>${value}</dd></div>`).join('')}
      <div class="totals__total"><dt>Total</dt><dd>${money.format(t.total)}</dd></div>`;
  }

  function renderCartCount() {
    const count = readCart().reduce((sum, line) => sum + line.quantity, 0);
    for (const badge of $$('[data-cart-count]')) {
      badge.textContent = String(count);
      badge.hidden = count === 0;
    }
  }

  const productImage = (product, size = 400) =>
    `<img src="img/${product.id}.svg" alt="${html(product.name)}" width="${size}" height="${size}" loading="lazy">`;

  // ---------------------------------------------------------------------------------------------------
  // Pages.
  const pages = {
    home() {
      const list = $('[data-product-list]');
      list.innerHTML = PRODUCTS.map(
        (product) => `
        <li class="product-card">
          <a class="product-card__image" href="product.html?id=${product.id}">${productImage(product)}</a>
          <div class="product-card__body">
            <p class="eyebrow">${html(product.category)}</p>
            <h3 class="product-card__title"><a href="product.html?id=${product.id}">${html(product.name)}</a></h3>
            <p class="price">${money.format(product.price)}</p>
          </div>
          <button type="button" class="button button--quiet" data-add="${product.id}">Add to cart</button>
        </li>`,
      ).join('');
      list.addEventListener('click', (event) => {
        const button = event.target.closest('[data-add]');
        if (!button) return;
        changeQuantity(button.dataset.add, 1);
        confirmAdded(button);
      });
      footfall('productListViewed', {
        listId: 'all-products',
        category: 'All products',
        currency: CURRENCY,
        products: PRODUCTS.map((product, index) => productProperties(product, { position: index + 1 })),
      });
    },

    product() {
      const container = $('[data-product-detail]');
      const product = findProduct(new URLSearchParams(location.search).get('id'));
      if (!product) {
        container.innerHTML =
          '<p class="empty">We could not find that product. <a href="index.html">See all products</a>.</p>';
        return;
      }
      document.title = `${product.name} · Footfall Supply Co.`;
      container.innerHTML = `
        <div class="product-detail__image">${productImage(product, 560)}</div>
        <div class="product-detail__info">
          <p class="eyebrow">${html(product.category)}</p>
          <h1>${html(product.name)}</h1>
          <p class="price price--large">${money.format(product.price)}</p>
          <p class="description">${html(product.description)}</p>
          <form class="add-form" data-add-form>
            <label>Quantity
              <select name="quantity">${[1, 2, 3, 4, 5].map((n) => `<option>${n}</option>`).join('')}</select>
            </label>
            <button type="submit" class="button">Add to cart</button>
          </form>
          <p class="added" data-added hidden>Added. <a href="cart.html">View cart →</a></p>
          <p class="sku">SKU ${html(product.sku)}</p>
        </div>`;
      $('[data-add-form]').addEventListener('submit', (event) => {
        event.preventDefault();
        changeQuantity(product.id, Number(new FormData(event.currentTarget).get('quantity')));
        $('[data-added]').hidden = false;
      });
      footfall('productViewed', productProperties(product, { quantity: 1 }));
    },

    cart() {
      const render = () => {
        const lines = cartLines();
        const container = $('[data-cart-lines]');
        const checkout = $('[data-checkout-link]');
        checkout.classList.toggle('is-disabled', lines.length === 0);
        checkout.setAttribute('aria-disabled', String(lines.length === 0));
        if (lines.length === 0) {
          container.innerHTML =
            '<p class="empty">Your cart is empty. <a href="index.html">Find something you like</a>.</p>';
        } else {
          container.innerHTML = `<ul class="cart-lines">${lines
            .map(
              ({ product, quantity }) => `
            <li class="cart-line">
              <a href="product.html?id=${product.id}" class="cart-line__image">${productImage(product, 96)}</a>
              <div class="cart-line__info">
                <a href="product.html?id=${product.id}">${html(product.name)}</a>
                <span class="muted">${money.format(product.price)} each</span>
              </div>
              <div class="stepper" role="group" aria-label="Quantity of ${html(product.name)}">
                <button type="button" data-change="${product.id}" data-delta="-1" aria-label="One less">−</button>
                <span>${quantity}</span>
                <button type="button" data-change="${product.id}" data-delta="1" aria-label="One more">+</button>
              </div>
              <strong class="cart-line__total">${money.format(product.price * quantity)}</strong>
              <button type="button" class="link-button" data-change="${product.id}" data-delta="${-quantity}">Remove</button>
            </li>`,
            )
            .join('')}</ul>`;
        }
        renderTotals($('[data-totals]'), totals(lines));
      };

      $('[data-cart-lines]').addEventListener('click', (event) => {
        const button = event.target.closest('[data-change]');
        if (!button) return;
        changeQuantity(button.dataset.change, Number(button.dataset.delta));
        render();
      });

      const message = $('[data-coupon-message]');
      const couponInput = $('#coupon-code');
      couponInput.value = saved.get('coupon', '');
      $('[data-coupon-form]').addEventListener('submit', (event) => {
        event.preventDefault();
        const code = couponInput.value.trim().toUpperCase();
        if (!code) return;
        const coupon = COUPONS[code];
        if (!coupon) {
          message.textContent = `“${code}” is not a valid code.`;
          message.className = 'coupon__message is-error';
          // No helper for this one: any Segment event name works with track(), in snake_case.
          footfall('track', 'Coupon Denied', {
            cart_id: cartId(),
            coupon_name: code,
            reason: 'Unknown code',
          });
          return;
        }
        saved.set('coupon', code);
        const t = totals(cartLines());
        message.textContent = `${coupon.name} applied.`;
        message.className = 'coupon__message is-ok';
        footfall('couponApplied', {
          cartId: cartId(),
          couponId: code,
          couponName: coupon.name,
          discount: t.discount,
          currency: CURRENCY,
        });
        render();
      });

      $('[data-checkout-link]').addEventListener('click', (event) => {
        if (cartLines().length === 0) event.preventDefault();
      });

      render();
      footfall('cartViewed', { cartId: cartId(), currency: CURRENCY, products: lineProperties(cartLines()) });
    },

    checkout() {
      const lines = cartLines();
      if (lines.length === 0) {
        location.replace('cart.html');
        return;
      }
      const form = $('[data-checkout-form]');
      const shippingMethod = () => new FormData(form).get('shipping_method');
      const orderProperties = (checkoutId) => {
        const { subtotal, discount, coupon, revenue, shipping, tax, total } = totals(lines, shippingMethod());
        return {
          checkoutId,
          subtotal,
          discount,
          coupon,
          revenue,
          shipping,
          tax,
          total,
          value: revenue,
          currency: CURRENCY,
          products: lineProperties(lines),
        };
      };

      // One checkout id per attempt (kept across reloads), so a reload does not start a second checkout.
      let checkoutId = sessionStorage.getItem('shop:checkout-id');
      if (!checkoutId) {
        checkoutId = randomId('chk_');
        sessionStorage.setItem('shop:checkout-id', checkoutId);
        footfall('checkoutStarted', orderProperties(checkoutId));
      }

      // The server-side pattern: the form carries the tracker's anonymous id to the store's backend.
      $('[data-anonymous-id]').value =
        saved.get('analytics', 'on') === 'on' ? (footfall('anonymousId') ?? '') : '';

      const renderSummary = () => {
        $('[data-summary-lines]').innerHTML = lines
          .map(
            ({ product, quantity }) =>
              `<li>${productImage(product, 48)}<span>${html(product.name)} × ${quantity}</span><span>${money.format(product.price * quantity)}</span></li>`,
          )
          .join('');
        const t = totals(lines, shippingMethod());
        renderTotals($('[data-totals]'), t);
        const standard = totals(lines, 'Standard').shipping;
        $('[data-shipping-price]').textContent = standard ? money.format(standard) : 'Free';
      };

      // Closed steps are hidden with CSS, not disabled: their fields still belong to the order.
      const steps = $$('[data-step]', form);
      let currentStep = 1;
      const openStep = (number) => {
        currentStep = number;
        for (const step of steps) {
          const n = Number(step.dataset.step);
          step.classList.toggle('is-open', n === number);
          step.classList.toggle('is-done', n < number);
        }
      };
      const error = $('[data-form-error]');
      const stepIsValid = (number) => {
        const invalid = $$('input[required]', steps[number - 1]).find((input) => !input.checkValidity());
        error.textContent = invalid
          ? `Please fill in ${invalid.closest('label').firstChild.textContent.trim().toLowerCase()}.`
          : '';
        invalid?.focus();
        return !invalid;
      };

      const completeShipping = () => {
        if (!stepIsValid(1)) return;
        footfall('checkoutStepCompleted', { checkoutId, step: 1, shippingMethod: shippingMethod() });
        openStep(2);
      };

      form.addEventListener('change', renderSummary);
      $('[data-next-step]').addEventListener('click', completeShipping);
      $('[data-edit-step]').addEventListener('click', () => openStep(1));
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        // Enter in a shipping field submits the form: treat it as "Continue".
        if (currentStep === 1) return completeShipping();
        if (!stepIsValid(1)) return openStep(1);
        const data = Object.fromEntries(new FormData(form));
        footfall('checkoutStepCompleted', { checkoutId, step: 2, paymentMethod: data.payment_method });

        // A real store posts the form to its backend here; the demo keeps the order in localStorage.
        const orderId = randomId('FSC-');
        const orders = saved.get('orders', {});
        orders[orderId] = {
          orderId,
          checkoutId,
          name: data.name,
          email: data.email,
          shippingMethod: data.shipping_method,
          paymentMethod: data.payment_method,
          anonymousId: data.footfall_anonymous_id,
          lines: readCart(),
          totals: totals(lines, data.shipping_method),
          placedAt: new Date().toISOString(),
        };
        saved.set('orders', orders);
        saved.remove('cart');
        saved.remove('coupon');
        saved.remove('cart-id');
        sessionStorage.removeItem('shop:checkout-id');
        location.assign(`thank-you.html?order=${encodeURIComponent(orderId)}`);
      });

      openStep(1);
      renderSummary();
    },

    'thank-you'() {
      const container = $('[data-thanks]');
      const orderId = new URLSearchParams(location.search).get('order');
      const order = saved.get('orders', {})[orderId];
      if (!order) {
        container.innerHTML =
          '<p class="empty">We could not find that order. <a href="index.html">Back to the shop</a>.</p>';
        return;
      }
      const lines = order.lines.map((line) => ({ product: findProduct(line.id), quantity: line.quantity }));
      const t = order.totals;

      // Exactly once per order: reloading or revisiting this page must not count the revenue again.
      const tracked = saved.get('tracked-orders', []);
      if (!tracked.includes(order.orderId)) {
        footfall('orderCompleted', {
          orderId: order.orderId,
          checkoutId: order.checkoutId,
          affiliation: 'Footfall demo shop',
          subtotal: t.subtotal,
          total: t.total,
          revenue: t.revenue,
          shipping: t.shipping,
          tax: t.tax,
          discount: t.discount,
          coupon: t.coupon,
          currency: CURRENCY,
          products: lineProperties(lines),
        });
        saved.set('tracked-orders', [...tracked, order.orderId].slice(-50));
      }

      container.innerHTML = `
        <p class="eyebrow">Order ${html(order.orderId)}</p>
        <h1>Thank you, ${html(order.name.split(' ')[0] || 'friend')}!</h1>
        <p>We would now send a confirmation to ${html(order.email)}. Nothing was charged: this is a demo.</p>
        <div class="thanks__grid">
          <div>
            <ul class="summary-lines">${lines
              .map(
                ({ product, quantity }) =>
                  `<li>${productImage(product, 48)}<span>${html(product.name)} × ${quantity}</span><span>${money.format(product.price * quantity)}</span></li>`,
              )
              .join('')}</ul>
            <dl class="totals" data-totals></dl>
            <a class="button" href="index.html">Keep shopping</a>
          </div>
          <aside class="dev-note">
            <h2>For store developers</h2>
            <p>This page sent <code>Order Completed</code> from the browser, once: reload it and nothing new is counted.</p>
            <p>A real store would rather confirm the order from its backend after payment. The checkout form carried the visitor's anonymous id for that:</p>
            <pre><code>footfall_anonymous_id=${html(order.anonymousId || '(analytics off)')}</code></pre>
            <p>Send it as <code>anonymousId</code> with the server's <code>Order Completed</code> and the order joins this visitor's journey.</p>
          </aside>
        </div>`;
      renderTotals($('[data-totals]', container), t);
    },
  };

  function confirmAdded(button) {
    button.textContent = 'Added ✓';
    button.classList.add('is-added');
    setTimeout(() => {
      button.textContent = 'Add to cart';
      button.classList.remove('is-added');
    }, 1500);
  }

  // ---------------------------------------------------------------------------------------------------
  // Consent. footfall.js was loaded with data-consent="pending": it holds events in memory until the
  // site says what the visitor chose. A consent manager would do this; here it is a footer switch.
  function applyConsent() {
    const isOn = saved.get('analytics', 'on') === 'on';
    footfall('consent', isOn ? 'granted' : 'denied');
    $('[data-consent-state]').textContent = isOn ? 'on' : 'off';
    $('[data-consent-toggle]').textContent = isOn ? 'Turn off' : 'Turn on';
  }
  $('[data-consent-toggle]').addEventListener('click', () => {
    saved.set('analytics', saved.get('analytics', 'on') === 'on' ? 'off' : 'on');
    applyConsent();
  });

  applyConsent();
  renderCartCount();
  pages[document.body.dataset.page]?.();
})();
