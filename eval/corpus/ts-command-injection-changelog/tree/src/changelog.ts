// Release-notes endpoint of the internal deploy dashboard: lists the commits between two tags of
// a service's repository, e.g. GET /changelog?service=billing&from=v1.4.0&to=v1.5.0

import { exec } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import { promisify } from "node:util";

const run = promisify(exec);

const REPOS = new Map<string, string>([
  ["billing", "/srv/git/billing.git"],
  ["search", "/srv/git/search.git"],
  ["web", "/srv/git/web.git"],
]);

export interface Commit {
  sha: string;
  author: string;
  subject: string;
}

export async function commitsBetween(repo: string, from: string, to: string): Promise<Commit[]> {
  const { stdout } = await run(`git --git-dir=${repo} log --format=%H%x09%an%x09%s ${from}..${to}`, {
    maxBuffer: 8 * 1024 * 1024,
  });
  return stdout
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      const [sha, author, ...subject] = line.split("\t");
      return { sha, author, subject: subject.join("\t") };
    });
}

export async function handleChangelog(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const repo = REPOS.get(url.searchParams.get("service") ?? "");
  const from = url.searchParams.get("from");
  const to = url.searchParams.get("to") ?? "HEAD";
  if (!repo || !from) {
    res.writeHead(400, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: "service and from are required" }));
    return;
  }
  try {
    const commits = await commitsBetween(repo, from, to);
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ commits }));
  } catch {
    res.writeHead(404, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: `no history between ${from} and ${to}` }));
  }
}
