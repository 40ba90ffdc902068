/**
 * npm run trigger -- <event> [--user ID] [--expires ISO] [--url URL] [--secret KEY] [--subscription ID]
 *                           [--product ID] [--purchase ID] [--dry-run]
 *
 * Sends a correctly signed sample Tribute webhook to the function (like `stripe trigger`) and prints the
 * status and response. Events: new_subscription, renewed_subscription, cancelled_subscription,
 * new_digital_product, digital_product_refund, or any other name (sent as-is, to see it ignored).
 * The key comes from --secret, else TRIBUTE_API_KEY from the environment, else .env, else the local default.
 */
import { parseArgs } from "node:util";
import { signTributeBody } from "../functions/bot/tribute/signature.ts";
import { loadEnv } from "./env.ts";
import { LOCAL_DEFAULTS, LOCAL_FUNCTION_URL } from "./local_defaults.ts";

export const TRIGGER_EVENTS = [
  "new_subscription",
  "renewed_subscription",
  "cancelled_subscription",
  "new_digital_product",
  "digital_product_refund",
] as const;

export interface SampleOptions {
  user: number;
  expires?: string;
  subscription?: number;
  product?: number;
  purchase?: number;
  now?: Date;
}

/** A sample envelope shaped like Tribute's documented examples. */
export function sampleTributeEvent(name: string, o: SampleOptions) {
  const now = o.now ?? new Date();
  const expires = o.expires ?? new Date(now.getTime() + 30 * 86_400_000).toISOString();
  const subscription = {
    subscription_name: "Private club",
    subscription_id: o.subscription ?? 1644,
    period_id: 1547,
    period: "monthly",
    price: 1000,
    amount: 700,
    currency: "eur",
    user_id: 31326,
    telegram_user_id: o.user,
    channel_id: 614,
    channel_name: "club",
    type: "regular",
    expires_at: expires,
  };
  const product = {
    product_id: o.product ?? 456,
    purchase_id: o.purchase ?? 12345,
    amount: 500,
    currency: "usd",
    user_id: 31326,
    telegram_user_id: o.user,
  };
  const payload = name.endsWith("_subscription")
    ? (name === "cancelled_subscription" ? { ...subscription, cancel_reason: "" } : subscription)
    : name.includes("digital_product") || name.includes("refund")
    ? product
    : { telegram_user_id: o.user };
  return { name, created_at: now.toISOString(), sent_at: now.toISOString(), payload };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      user: { type: "string" },
      expires: { type: "string" },
      url: { type: "string" },
      secret: { type: "string" },
      subscription: { type: "string" },
      product: { type: "string" },
      purchase: { type: "string" },
      "dry-run": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const event = positionals[0];
  if (!event || values.help) {
    console.log(`usage: npm run trigger -- <event> [--user ID] [--expires ISO] [--url URL] [--secret KEY]
events: ${TRIGGER_EVENTS.join(", ")} (any other name is sent as-is)`);
    Deno.exit(event || values.help ? 0 : 2);
  }
  const num = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) {
      console.error(`--${flag} must be a positive integer`);
      Deno.exit(2);
    }
    return n;
  };
  if (values.expires && Number.isNaN(Date.parse(values.expires))) {
    console.error("--expires must be an ISO date-time, e.g. 2030-01-01T00:00:00Z");
    Deno.exit(2);
  }
  const env = loadEnv();
  const key = values.secret ?? env.TRIBUTE_API_KEY ?? LOCAL_DEFAULTS.TRIBUTE_API_KEY;
  const url = values.url ?? LOCAL_FUNCTION_URL;
  const body = JSON.stringify(sampleTributeEvent(event, {
    user: num("user", values.user) ?? 12321321,
    expires: values.expires,
    subscription: num("subscription", values.subscription),
    product: num("product", values.product),
    purchase: num("purchase", values.purchase),
  }));
  const signature = await signTributeBody(body, key);
  console.log(`POST ${url}\ntrbt-signature: ${signature}\n${body}`);
  if (values["dry-run"]) Deno.exit(0);
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "trbt-signature": signature },
      body,
    });
    console.log(`\n${res.status} ${res.statusText}\n${await res.text()}`);
    Deno.exit(res.ok ? 0 : 1);
  } catch (err) {
    console.error(
      `\ncould not reach ${url}: ${err instanceof Error ? err.message : err} (is \`npm start\` running?)`,
    );
    Deno.exit(1);
  }
}
