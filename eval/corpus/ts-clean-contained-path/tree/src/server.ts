// The helpdesk's file server: authenticates every request, checks the user may see the ticket,
// then hands attachment downloads to handleAttachment.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { handleAttachment } from "./attachments.js";

export interface Session {
  userId: number;
  ticketIds: ReadonlySet<number>; // tickets the user may see (requester, assignee or their team)
}

export type SessionLookup = (cookieHeader: string | undefined) => Promise<Session | null>;

const TICKET_PATH = /^\/attachments\/(\d+)\//;

export function fileServer(sessions: SessionLookup) {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    void route(sessions, req, res).catch((error: unknown) => {
      console.error("file server:", error);
      if (!res.headersSent) {
        res.writeHead(500);
      }
      res.end();
    });
  });
}

async function route(sessions: SessionLookup, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET") {
    res.writeHead(405, { Allow: "GET" }).end();
    return;
  }
  const session = await sessions(req.headers.cookie);
  if (session === null) {
    res.writeHead(401).end();
    return;
  }
  const ticket = TICKET_PATH.exec(req.url ?? "");
  if (ticket === null || !session.ticketIds.has(Number(ticket[1]))) {
    res.writeHead(404).end(); // 404, not 403: do not reveal which tickets exist
    return;
  }
  await handleAttachment(req, res);
}
