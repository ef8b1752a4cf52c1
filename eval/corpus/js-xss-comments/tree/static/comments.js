// Comment thread under each blog post. Loaded on the post page; talks to the public comments API,
// where any visitor can post a comment with a display name and a body.

const RELATIVE = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

function ago(isoDate, now = Date.now()) {
  const minutes = Math.round((Date.parse(isoDate) - now) / 60000);
  if (Math.abs(minutes) < 60) return RELATIVE.format(minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (Math.abs(hours) < 24) return RELATIVE.format(hours, 'hour');
  return RELATIVE.format(Math.round(hours / 24), 'day');
}

function renderComment(comment) {
  const item = document.createElement('li');
  item.className = 'comment';
  item.dataset.id = String(comment.id);
  item.innerHTML = `
    <header><strong>${comment.author}</strong> <time datetime="${comment.createdAt}">${ago(comment.createdAt)}</time></header>
    <p>${comment.body}</p>`;
  return item;
}

async function loadComments(postId, list, status) {
  status.textContent = 'Loading comments…';
  try {
    const response = await fetch(`/api/posts/${encodeURIComponent(postId)}/comments`);
    if (!response.ok) {
      throw new Error(`HTTP ${response.status}`);
    }
    const comments = await response.json();
    list.replaceChildren(...comments.map(renderComment));
    status.textContent = comments.length === 0 ? 'No comments yet.' : '';
  } catch (error) {
    status.textContent = 'Comments could not be loaded.';
    console.error('comments:', error);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  const section = document.querySelector('#comments');
  if (section) {
    loadComments(section.dataset.postId, section.querySelector('ol'), section.querySelector('.status'));
  }
});
