'use strict';

// Gift-card wallet. `db` is the service's promise wrapper around node-sqlite3 (get/all/run, each
// returning a promise); the HTTP layer calls these for every request, many at a time.

class WalletError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

async function balance(db, walletId) {
  const row = await db.get('SELECT balance_cents FROM wallets WHERE id = ?', [walletId]);
  if (!row) {
    throw new WalletError('not_found', `wallet ${walletId} does not exist`);
  }
  return row.balance_cents;
}

async function deposit(db, walletId, cents) {
  if (!Number.isInteger(cents) || cents <= 0) {
    throw new WalletError('bad_amount', 'deposit must be a positive whole number of cents');
  }
  const result = await db.run('UPDATE wallets SET balance_cents = balance_cents + ? WHERE id = ?', [cents, walletId]);
  if (result.changes === 0) {
    throw new WalletError('not_found', `wallet ${walletId} does not exist`);
  }
}

// Pays `cents` out of the wallet; a wallet never goes below zero.
async function spend(db, walletId, cents, orderId) {
  if (!Number.isInteger(cents) || cents <= 0) {
    throw new WalletError('bad_amount', 'amount must be a positive whole number of cents');
  }
  const current = await balance(db, walletId);
  if (current < cents) {
    throw new WalletError('insufficient_funds', `wallet ${walletId} holds ${current} cents`);
  }
  await db.run('UPDATE wallets SET balance_cents = ? WHERE id = ?', [current - cents, walletId]);
  await db.run('INSERT INTO wallet_ledger (wallet_id, order_id, delta_cents) VALUES (?, ?, ?)', [
    walletId,
    orderId,
    -cents,
  ]);
  return current - cents;
}

module.exports = { WalletError, balance, deposit, spend };
