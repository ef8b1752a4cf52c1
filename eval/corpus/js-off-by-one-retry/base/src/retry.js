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
 * Calls `fn` until it succeeds, trying at most `maxAttempts` times in all, waiting `delayMs`
 * between attempts. Errors that are not retryable end the loop at once.
 */
async function withRetry(fn, { maxAttempts = 3, delayMs = 500 } = {}) {
  let lastError;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!(error instanceof HttpError) || !RETRYABLE.has(error.status)) {
        throw error;
      }
      lastError = error;
      if (attempt < maxAttempts) {
        await sleep(delayMs);
      }
    }
  }
  throw lastError;
}

module.exports = { HttpError, withRetry };
