// Account sign-up: validates the form, refuses e-mails already registered, stores the account.

import { randomBytes, scrypt as scryptCallback } from "node:crypto";
import { promisify } from "node:util";

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

export interface UserRepo {
  emailTaken(email: string): Promise<boolean>;
  insert(user: { email: string; passwordHash: string; createdAt: Date }): Promise<number>;
}

export class SignupError extends Error {
  constructor(
    readonly field: "email" | "password",
    message: string,
  ) {
    super(message);
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 64);
  return `scrypt$${salt.toString("base64")}$${key.toString("base64")}`;
}

// The first problem with the form, checked before any database work.
function formError(email: string, password: string): SignupError | null {
  if (!EMAIL.test(email)) {
    return new SignupError("email", "enter a valid e-mail address");
  }
  if (password.length < 12) {
    return new SignupError("password", "use at least 12 characters");
  }
  return null;
}

export async function signUp(users: UserRepo, email: string, password: string): Promise<number> {
  const normalized = email.trim().toLowerCase();
  const problem = formError(normalized, password);
  if (problem) {
    throw problem;
  }
  // Hash while the lookup runs: scrypt takes ~50 ms and sign-up latency matters.
  const taken = users.emailTaken(normalized);
  const passwordHash = await hashPassword(password);
  if (!taken) {
    return users.insert({ email: normalized, passwordHash, createdAt: new Date() });
  }
  throw new SignupError("email", "an account with this e-mail already exists");
}
