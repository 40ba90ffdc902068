import type { AppDeps } from "../app.ts";
import { json, parseJsonBody } from "../http.ts";
import { kickOutboxDrain } from "../jobs/kick.ts";
import { parseTributeEvent } from "./events.ts";
import { verifyTributeSignature } from "./signature.ts";

/** What apply_tribute_event returns (the fields the route reads). */
interface ApplyResult {
  status: "processed" | "duplicate" | "ignored";
  event_id: number;
  /** the event queued outbox rows (notices, invites): worth starting a delivery */
  queued?: boolean;
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

  const parsed = parseJsonBody(body);
  if (!parsed.ok) {
    const raw = new TextDecoder().decode(body);
    await deps.db.call("record_failed_event", {
      p_source: "tribute",
      p_name: "unparsable",
      p_envelope: { raw: raw.slice(0, 10_000) },
      p_error: "body is not valid JSON",
      p_raw: raw,
    });
    return json(400, { error: "body is not valid JSON" });
  }

  const result = parseTributeEvent(parsed.value);
  if (!result.ok) {
    const name = (parsed.value as { name?: unknown } | null)?.name;
    const failed = await deps.db.call<{ event_id: number }>("record_failed_event", {
      p_source: "tribute",
      p_name: typeof name === "string" ? name : "unknown",
      p_envelope: parsed.value,
      p_error: result.message,
      p_raw: new TextDecoder().decode(body),
    });
    deps.log.warn("tribute payload invalid", {
      request_id: requestId,
      field: result.field,
      event_id: failed?.event_id,
    });
    return json(400, { error: "invalid payload", field: result.field, message: result.message });
  }

  const event = result.event;
  const applied = await deps.db.call<ApplyResult>("apply_tribute_event", {
    p_name: event.name,
    p_received_name: event.receivedName,
    p_created_at: event.createdAt,
    p_payload: event.payload,
    p_envelope: parsed.value,
  });
  deps.log.info("tribute event", {
    request_id: requestId,
    event_id: applied.event_id,
    name: event.receivedName,
    status: applied.status,
    telegram_user_id: applied.telegram_user_id,
  });
  if (applied.status === "processed" && applied.queued !== false) kickOutboxDrain(deps);
  return json(200, { ok: true, status: applied.status, event_id: applied.event_id });
}
