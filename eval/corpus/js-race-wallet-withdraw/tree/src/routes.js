'use strict';

// HTTP routes of the wallet service: POST /wallets/:id/spend {"cents": 1200, "orderId": "o-81"}

const { WalletError, balance, spend } = require('./wallet');

const STATUS = { not_found: 404, bad_request: 400, bad_amount: 400, too_large: 413, insufficient_funds: 409 };

function readJson(req, limit = 16 * 1024) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(new WalletError('too_large', 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new WalletError('bad_request', 'body must be JSON'));
      }
    });
    req.on('error', reject);
  });
}

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function route(db, req, res) {
  const match = /^\/wallets\/(\d+)(\/spend)?$/.exec(req.url);
  try {
    if (match && req.method === 'GET' && !match[2]) {
      send(res, 200, { balanceCents: await balance(db, Number(match[1])) });
    } else if (match && req.method === 'POST' && match[2]) {
      const body = await readJson(req);
      if (typeof body?.orderId !== 'string' || body.orderId === '') {
        throw new WalletError('bad_request', 'orderId is required');
      }
      send(res, 200, { balanceCents: await spend(db, Number(match[1]), body.cents, body.orderId) });
    } else {
      send(res, 404, { error: 'not found' });
    }
  } catch (error) {
    if (error instanceof WalletError) {
      send(res, STATUS[error.code] ?? 400, { error: error.message });
    } else {
      console.error('wallet route failed:', error);
      send(res, 500, { error: 'internal error' });
    }
  }
}

module.exports = { route };
