'use strict';

// Retries for calls to the payment provider's API, which answers 429/503 under load.

const RETRYABLE = new Set([429, 502, 503, 504]);

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `fn` until it succeeds, trying at most `maxAttempts` times in all. Waits grow
 * exponentially from `baseDelayMs` (500, 1000, 2000 ms...) with up to 20% jitter, so clients
 * retrying at once spread out. Errors that are not retryable end the loop at once.
 */
async function withRetry(fn, { maxAttempts = 3, baseDelayMs = 500 } = {}) {
  let lastError;
  for (let attempt = 0; attempt <= maxAttempts; attempt++) {
    try {
      return await fn(attempt + 1);
    } catch (error) {
      if (!(error instanceof HttpError) || !RETRYABLE.has(error.status)) {
        throw error;
      }
      lastError = error;
      if (attempt < maxAttempts) {
        const delay = baseDelayMs * 2 ** attempt;
        await sleep(delay + Math.random() * 0.2 * delay);
      }
    }
  }
  throw lastError;
}

module.exports = { HttpError, withRetry };
