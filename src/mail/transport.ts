import { createTransport } from 'nodemailer';
import type { MailMessage } from './templates.js';

/** Hands a mail to the mail system; rejects when it was not accepted. */
export interface MailTransport {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/** A refusal no retry will change: the SMTP server answered with a 5xx code (bad recipient, refused sender). */
export function isPermanentFailure(err: unknown): boolean {
  const code = (err as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/**
 * SMTP through nodemailer (`smtp://user:pass@host:587`, STARTTLS when the server offers it;
 * `smtps://` for implicit TLS). Timeouts are short so that a dead server fails an attempt
 * quickly, well within the outbox lease.
 */
export function smtpTransport(url: string, from: string): MailTransport {
  const transporter = createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 }, { from });
  return {
    async send(message) {
      await transporter.sendMail(message);
    },
    close: () => transporter.close(),
  };
}

/**
 * Development without a mail server: each mail, link included, is written to `out` (stdout)
 * instead of being sent. Refused in production (see config).
 */
export function logTransport(from: string, out: (text: string) => void = (text) => process.stdout.write(text)): MailTransport {
  return {
    async send(message) {
      out(
        `\n--- mail (not sent: SMTP_URL is not set) ---\nFrom: ${from}\nTo: ${message.to}\nSubject: ${message.subject}\n\n${message.text}--- end of mail ---\n`,
      );
    },
    close: () => undefined,
  };
}
