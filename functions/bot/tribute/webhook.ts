import type { AppDeps } from "../app.ts";
import { json, parseJsonBody, withLogFields } from "../http.ts";
import { isDeterministicDbError, recordFailedDelivery } from "../journal.ts";
import { kickOutboxDrain } from "../jobs/kick.ts";
import { parseTributeEvent } from "./events.ts";
import {
  acceptTributeDelivery,
  inboxFull,
  kickTributeApplier,
  msSinceAccepted,
  noteAccepted,
  tributeApplierBusy,
} from "./inbox.ts";
import { verifyTributeSignature } from "./signature.ts";

/** What apply_tribute_delivery, or accept_tribute_events for one delivery, returns (the fields read here). */
interface ApplyResult {
  /** applied (processed, duplicate, ignored), or written to the inbox to be applied right after (accepted) */
  status: "processed" | "duplicate" | "ignored" | "accepted";
  event_id: number;
  /** the event queued outbox rows (notices, invites): worth starting a delivery */
  queued?: boolean;
}

/**
 * Deliveries being handled by this instance right now. Alone, a delivery is applied before the answer
 * (200 then means "applied"); in a burst, each is acknowledged once it is durably in the inbox and the
 * applier takes them in batches: one INSERT per request instead of a whole transaction of ledger and
 * timeline work, which is what keeps the acknowledgements near the cost of a bare INSERT.
 */
const inFlight = new WeakMap<object, number>();
/**
 * A burst stays a burst until this instance has accepted nothing into the inbox for BURST_QUIET_MS:
 * requests of a burst do not all overlap in the handler (some are still being read), and one taken for
 * "alone" would apply a whole transaction in the middle of the burst.
 */
const BURST_QUIET_MS = 250;

/**
 * The Tribute door, in Stripe's order: verify the signature over the raw bytes, parse, validate, then
 * one SQL call: apply the event in a single transaction, or (in a burst) accept it into the inbox, from
 * which it is applied right after. Either way the answer is fast and nothing acknowledged can be lost;
 * the notifications the event queued go out in the background (and, if that fails, from the scheduled
 * drain).
 */
export async function handleTributeWebhook(
  deps: AppDeps,
  body: Uint8Array,
  signature: string | null,
  requestId: string,
): Promise<Response> {
  inFlight.set(deps, (inFlight.get(deps) ?? 0) + 1);
  try {
    return await handleDelivery(deps, body, signature, requestId);
  } finally {
    inFlight.set(deps, inFlight.get(deps)! - 1);
  }
}

async function handleDelivery(
  deps: AppDeps,
  body: Uint8Array,
  signature: string | null,
  requestId: string,
): Promise<Response> {
  if (!(await verifyTributeSignature(body, signature, deps.config.tributeApiKey))) {
    deps.log.warn("tribute signature rejected", { request_id: requestId, bytes: body.byteLength });
    return json(401, { error: "invalid signature" });
  }

  const parsed = parseJsonBody(body);
  if (!parsed.ok) {
    const raw = bodyText(body);
    const failed = await recordFailedDelivery(deps, {
      source: "tribute",
      name: "unparsable",
      envelope: { raw: raw.slice(0, 10_000) },
      error: parsed.error,
      raw,
    });
    deps.log.warn("tribute body rejected", { request_id: requestId, error: parsed.error, event_id: failed });
    return json(400, { error: parsed.error });
  }

  const result = parseTributeEvent(parsed.value);
  if (!result.ok) return rejectPayload(deps, body, parsed.value, requestId, result.field, result.message);

  const event = result.event;
  // a burst: others are in flight here, or this instance is still applying what it accepted before;
  // unless the appliers are so far behind that access would lag by more than about a second
  const burst = (inFlight.get(deps)! > 1 || tributeApplierBusy(deps) ||
    msSinceAccepted(deps) < BURST_QUIET_MS) && !inboxFull(deps);
  let applied: ApplyResult;
  try {
    // The envelope as parsed, as text: one serialisation, numbers in one canonical spelling, read the
    // same way by both functions (the payload's dedupe key does not depend on the way in).
    const envelope = JSON.stringify(parsed.value);
    applied = burst
      ? await acceptTributeDelivery(deps, event.name, envelope)
      : await deps.db.call<ApplyResult>("apply_tribute_delivery", { p_name: event.name, p_body: envelope });
  } catch (err) {
    // A value the schema let through but Postgres refuses (a NUL in a string, a constraint): the same
    // body fails the same way on every retry, so it is a bad payload, not an outage. The transaction
    // rolled back: nothing of the event was written.
    if (!isDeterministicDbError(err)) throw err;
    const message = `the database refused the payload: ${err.message} (SQLSTATE ${err.code})`;
    return rejectPayload(deps, body, parsed.value, requestId, "(payload)", message);
  }
  if (applied.status === "accepted") {
    noteAccepted(deps);
    kickTributeApplier(deps);
  }
  if (applied.status === "processed" && applied.queued !== false) kickOutboxDrain(deps);
  return withLogFields(json(200, { ok: true, status: applied.status, event_id: applied.event_id }), {
    event_id: applied.event_id,
    name: event.receivedName,
    event_status: applied.status,
    telegram_user_id: event.telegramUserId,
  });
}

/** The body as text, for the journal of a delivery that fails (a body that is not UTF-8 included). */
function bodyText(body: Uint8Array): string {
  return new TextDecoder().decode(body);
}

/**
 * A signed body that is JSON but not a valid event (or one the database refuses): journaled as failed,
 * answered 400 naming the field. The same body fails the same way on every retry, so it is not a 5xx.
 */
async function rejectPayload(
  deps: AppDeps,
  body: Uint8Array,
  value: unknown,
  requestId: string,
  field: string,
  message: string,
): Promise<Response> {
  const name = (value as { name?: unknown } | null)?.name;
  const failed = await recordFailedDelivery(deps, {
    source: "tribute",
    name: typeof name === "string" ? name : "unknown",
    envelope: value,
    error: message,
    raw: bodyText(body),
  });
  deps.log.warn("tribute payload invalid", {
    request_id: requestId,
    field,
    event_id: failed,
    error: message,
  });
  return json(400, { error: "invalid payload", field, message });
}
