import { pageOf } from '../common';
import { contract } from '../contract';
import { orgParams } from '../environments';
import {
  createWebhookBody,
  delivery,
  deliveryParams,
  listWebhooksQuery,
  redeliverBody,
  webhook,
  webhookParams,
} from '../webhooks';

/** The routes of webhooks. */
export const webhooks = {
  createWebhook: contract({
    method: 'POST',
    path: '/api/v1/orgs/{org}/webhooks',
    scope: 'admin',
    params: orgParams,
    body: createWebhookBody,
    summary:
      'Create a webhook of an org (release managers only): its events are POSTed to url, signed with secret (never returned)',
    success: { status: 201, schema: webhook },
    problems: [403],
  }),
  listWebhooks: contract({
    method: 'GET',
    path: '/api/v1/orgs/{org}/webhooks',
    scope: 'read',
    params: orgParams,
    query: listWebhooksQuery,
    summary: "List an org's webhooks, newest first (release managers only; secrets are never shown)",
    success: { status: 200, schema: pageOf(webhook) },
    problems: [403],
  }),
  deleteWebhook: contract({
    method: 'DELETE',
    path: '/api/v1/orgs/{org}/webhooks/{id}',
    scope: 'admin',
    params: webhookParams,
    summary: 'Delete a webhook of an org with its deliveries (release managers only)',
    success: { status: 204, schema: null },
    problems: [403],
  }),
  listWebhookDeliveries: contract({
    method: 'GET',
    path: '/api/v1/orgs/{org}/webhooks/{id}/deliveries',
    scope: 'read',
    params: webhookParams,
    query: listWebhooksQuery,
    summary:
      "List a webhook's deliveries, newest first, each with every attempt's status code, duration, error and time",
    success: { status: 200, schema: pageOf(delivery) },
    problems: [403],
  }),
  redeliverWebhook: contract({
    method: 'POST',
    path: '/api/v1/orgs/{org}/webhooks/{id}/deliveries/{deliveryId}/redeliver',
    scope: 'admin',
    params: deliveryParams,
    body: redeliverBody,
    summary:
      'Send a delivery again (release managers only; body {}): queued at once, same X-GitWeave-Delivery; 409 while an attempt is in flight',
    success: { status: 202, schema: delivery },
    problems: [403, 409],
  }),
};
