import type { AppDeps } from "../app.ts";
import { json, parseJsonBody } from "../http.ts";
import { isDeterministicDbError, recordFailedDelivery } from "../journal.ts";
import { drainOutbox } from "../outbox/drain.ts";
import { parseTributeEvent } from "./events.ts";
import { verifyTributeSignature } from "./signature.ts";

/** What apply_tribute_event returns (the fields the route reads). */
interface ApplyResult {
  status: "processed" | "duplicate" | "ignored";
  event_id: number;
  telegram_user_id: number | null;
}

/**
 * The Tribute door, in Stripe's order: verify the signature over the raw bytes, parse, validate, then
 * one SQL call that journals and applies the event in a single transaction. The answer is fast; the
 * notifications the event queued go out in the background (and, if that fails, from the scheduled
 * drain).
 */
export async function handleTributeWebhook(
  deps: AppDeps,
  body: Uint8Array,
  signature: string | null,
  requestId: string,
): Promise<Response> {
  if (!(await verifyTributeSignature(body, signature, deps.config.tributeApiKey))) {
    deps.log.warn("tribute signature rejected", { request_id: requestId, bytes: body.byteLength });
    return json(401, { error: "invalid signature" });
  }

  const raw = new TextDecoder().decode(body);
  const parsed = parseJsonBody(body);
  if (!parsed.ok) {
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

  const rejected = async (field: string, message: string) => {
    const name = (parsed.value as { name?: unknown } | null)?.name;
    const failed = await recordFailedDelivery(deps, {
      source: "tribute",
      name: typeof name === "string" ? name : "unknown",
      envelope: parsed.value,
      error: message,
      raw,
    });
    deps.log.warn("tribute payload invalid", {
      request_id: requestId,
      field,
      event_id: failed,
      error: message,
    });
    return json(400, { error: "invalid payload", field, message });
  };

  const result = parseTributeEvent(parsed.value);
  if (!result.ok) return rejected(result.field, result.message);

  const event = result.event;
  let applied: ApplyResult;
  try {
    applied = await deps.db.call<ApplyResult>("apply_tribute_event", {
      p_name: event.name,
      p_received_name: event.receivedName,
      p_created_at: event.createdAt,
      p_payload: event.payload,
      p_envelope: parsed.value,
    });
  } catch (err) {
    // A value the schema let through but Postgres refuses (a NUL in a string, a constraint): the same
    // body fails the same way on every retry, so it is a bad payload, not an outage. The transaction
    // rolled back: nothing of the event was written.
    if (!isDeterministicDbError(err)) throw err;
    return rejected("(payload)", `the database refused the payload: ${err.message} (SQLSTATE ${err.code})`);
  }
  deps.log.info("tribute event", {
    request_id: requestId,
    event_id: applied.event_id,
    name: event.receivedName,
    status: applied.status,
    telegram_user_id: applied.telegram_user_id,
  });
  if (applied.status === "processed") deps.background(drainOutbox(deps, 10));
  return json(200, { ok: true, status: applied.status, event_id: applied.event_id });
}
