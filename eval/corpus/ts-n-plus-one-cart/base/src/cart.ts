// Cart pricing for the checkout page. `Db` is the node-postgres Pool (or a client in a transaction).

export interface Db {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

export interface CartItem {
  productId: number;
  quantity: number;
}

interface PriceRow {
  id: number;
  price_cents: number;
  active: boolean;
}

export interface PricedCart {
  lines: { productId: number; quantity: number; unitCents: number; totalCents: number }[];
  totalCents: number;
  unavailable: number[];
}

async function loadPrices(db: Db, ids: number[]): Promise<Map<number, PriceRow>> {
  const { rows } = await db.query<PriceRow>(
    "SELECT id, price_cents, active FROM products WHERE id = ANY($1::int[])",
    [ids],
  );
  return new Map(rows.map((row) => [row.id, row]));
}

export async function priceCart(db: Db, items: CartItem[]): Promise<PricedCart> {
  const prices = await loadPrices(db, [...new Set(items.map((item) => item.productId))]);
  const cart: PricedCart = { lines: [], totalCents: 0, unavailable: [] };
  for (const item of items) {
    const price = prices.get(item.productId);
    if (!price || !price.active) {
      cart.unavailable.push(item.productId);
      continue;
    }
    const totalCents = price.price_cents * item.quantity;
    cart.lines.push({ productId: item.productId, quantity: item.quantity, unitCents: price.price_cents, totalCents });
    cart.totalCents += totalCents;
  }
  return cart;
}
