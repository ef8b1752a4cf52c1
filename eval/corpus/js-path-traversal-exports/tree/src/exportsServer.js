'use strict';

// Serves the CSV exports that the reporting job writes to EXPORT_DIR, e.g.
//   GET /exports?file=sales-2024-05.csv
// Behind the company VPN, but every employee can reach it.

const fs = require('fs');
const http = require('http');
const path = require('path');

const EXPORT_DIR = process.env.EXPORT_DIR || '/var/lib/reports/exports';

function sendError(res, status, message) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(message + '\n');
}

function handleExport(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const name = url.searchParams.get('file');
  if (!name) {
    sendError(res, 400, 'file must name an export');
    return;
  }
  const filePath = path.join(EXPORT_DIR, name);
  const stream = fs.createReadStream(filePath);
  stream.on('open', () => {
    res.writeHead(200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': 'attachment',
    });
    stream.pipe(res);
  });
  stream.on('error', (error) => {
    if (res.headersSent) {
      res.destroy(error); // failed halfway: the client must not take a cut file for a whole one
    } else {
      sendError(res, error.code === 'ENOENT' ? 404 : 500, 'export not available');
    }
  });
}

function createServer() {
  return http.createServer((req, res) => {
    if (req.method === 'GET' && req.url.startsWith('/exports?')) {
      handleExport(req, res);
    } else {
      sendError(res, 404, 'not found');
    }
  });
}

if (require.main === module) {
  createServer().listen(Number(process.env.PORT) || 8081);
}

module.exports = { createServer };
