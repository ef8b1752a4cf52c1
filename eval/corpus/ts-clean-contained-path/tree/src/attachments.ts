// Download of ticket attachments: GET /attachments/<ticket id>/<file name>
// Attachments live under ATTACHMENT_ROOT/<ticket id>/; the file name part comes from the URL.
// The router authenticates the user and checks their access to the ticket before calling this.

import { createReadStream } from "node:fs";
import { realpath } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";

const ATTACHMENT_ROOT = path.resolve(process.env.ATTACHMENT_ROOT ?? "/var/lib/helpdesk/attachments");

/**
 * The real path of `relative` under `root`, or null when it would leave `root`: through "..",
 * an absolute path, or a symlink pointing elsewhere. Checked after realpath, so the answer is
 * about the file that will actually be opened.
 */
export async function containedPath(root: string, relative: string): Promise<string | null> {
  let resolved: string;
  let realRoot: string;
  try {
    resolved = await realpath(path.resolve(root, relative));
    realRoot = await realpath(root);
  } catch {
    return null; // missing or unreadable: the caller answers 404 either way
  }
  const inside = path.relative(realRoot, resolved);
  if (inside === "" || inside === ".." || inside.startsWith(".." + path.sep) || path.isAbsolute(inside)) {
    return null;
  }
  return resolved;
}

export async function handleAttachment(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const [urlPath] = (req.url ?? "").split("?", 1);
  const match = /^\/attachments\/(\d+)\/([^/]+)$/.exec(urlPath);
  if (!match) {
    res.writeHead(404).end();
    return;
  }
  let fileName: string;
  try {
    fileName = decodeURIComponent(match[2]);
  } catch {
    res.writeHead(400).end();
    return;
  }
  const file = await containedPath(path.join(ATTACHMENT_ROOT, match[1]), fileName);
  if (file === null) {
    res.writeHead(404).end();
    return;
  }
  const stream = createReadStream(file);
  stream.once("open", () => {
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Disposition": "attachment" });
    stream.pipe(res);
  });
  stream.once("error", () => {
    if (res.headersSent) {
      res.destroy();
    } else {
      res.writeHead(404).end();
    }
  });
}
