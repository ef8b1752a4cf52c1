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
  sale_price_cents: number | null;
}

export interface PricedCart {
  lines: { productId: number; quantity: number; unitCents: number; totalCents: number }[];
  totalCents: number;
  unavailable: number[];
}

// The price a customer pays today: the lowest running sale price, else the list price.
async function currentPrice(db: Db, productId: number): Promise<PriceRow | undefined> {
  const { rows } = await db.query<PriceRow>(
    `SELECT p.id, p.price_cents, p.active, s.price_cents AS sale_price_cents
       FROM products p
       LEFT JOIN sales s ON s.product_id = p.id AND now() BETWEEN s.starts_at AND s.ends_at
      WHERE p.id = $1
      ORDER BY s.price_cents ASC NULLS LAST
      LIMIT 1`,
    [productId],
  );
  return rows[0];
}

export async function priceCart(db: Db, items: CartItem[]): Promise<PricedCart> {
  const cart: PricedCart = { lines: [], totalCents: 0, unavailable: [] };
  for (const item of items) {
    const price = await currentPrice(db, item.productId);
    if (!price || !price.active) {
      cart.unavailable.push(item.productId);
      continue;
    }
    const unitCents = price.sale_price_cents ?? price.price_cents;
    const totalCents = unitCents * item.quantity;
    cart.lines.push({ productId: item.productId, quantity: item.quantity, unitCents, totalCents });
    cart.totalCents += totalCents;
  }
  return cart;
}
