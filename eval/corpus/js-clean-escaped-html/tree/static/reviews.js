// Product reviews on the shop's product page. Reviews are written by any customer, so every value
// from the API goes through escapeHtml before it is put into markup.

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (ch) => ENTITIES[ch]);
}

// Whole stars from 0 to 5, whatever the API sent.
function starCount(rating) {
  return Math.max(0, Math.min(5, Math.round(Number(rating) || 0)));
}

function reviewHtml(review) {
  const date = new Date(review.createdAt);
  const when = Number.isNaN(date.getTime()) ? '' : date.toLocaleDateString('en-GB');
  const full = starCount(review.rating);
  return `
    <article class="review">
      <header>
        <span class="stars" aria-label="${full} out of 5">${'★'.repeat(full)}${'☆'.repeat(5 - full)}</span>
        <strong>${escapeHtml(review.title)}</strong>
      </header>
      <p>${escapeHtml(review.body)}</p>
      <footer>${escapeHtml(review.author)} · ${escapeHtml(when)}</footer>
    </article>`;
}

async function showReviews(container, productId) {
  const response = await fetch(`/api/products/${encodeURIComponent(productId)}/reviews`);
  if (!response.ok) {
    container.textContent = 'Reviews are unavailable right now.';
    return;
  }
  const reviews = await response.json();
  container.innerHTML = reviews.length
    ? reviews.map(reviewHtml).join('')
    : '<p class="empty">No reviews yet. Be the first!</p>';
}

document.addEventListener('DOMContentLoaded', () => {
  const container = document.querySelector('#reviews');
  if (container) {
    showReviews(container, container.dataset.productId).catch(() => {
      container.textContent = 'Reviews are unavailable right now.';
    });
  }
});
