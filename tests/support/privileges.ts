/**
 * The privilege checks every SQL feature's tests make: the API roles reach data only through the edge
 * function, which connects as service_role (CONTRACT: service-role key only on the server).
 */
import assert from "node:assert/strict";
import type postgres from "postgres";

/**
 * Only service_role may execute each function (a signature, `public.fn(args)`): anon, authenticated and
 * PUBLIC may not (a function is executable by PUBLIC unless that grant is revoked).
 */
export async function assertOnlyServiceRoleExecutes(sql: postgres.Sql, functions: string[]): Promise<void> {
  for (const fn of functions) {
    for (const role of ["anon", "authenticated", "public"]) {
      const [row] = await sql`select has_function_privilege(${role}, ${fn}, 'execute') as ok`;
      assert.equal(row.ok, false, `${role} must not execute ${fn}`);
    }
    const [svc] = await sql`select has_function_privilege('service_role', ${fn}, 'execute') as ok`;
    assert.equal(svc.ok, true, `service_role executes ${fn}`);
  }
}

/** Each table (`public.name`) is behind RLS, closed to anon and authenticated, open to service_role. */
export async function assertTablesClosed(sql: postgres.Sql, tables: string[]): Promise<void> {
  for (const table of tables) {
    const [t] = await sql`select relrowsecurity as rls,
                                 has_table_privilege('anon', ${table}, 'select') as anon,
                                 has_table_privilege('authenticated', ${table}, 'insert') as auth,
                                 has_table_privilege('service_role', ${table}, 'select') as svc
                          from pg_class where oid = ${table}::regclass`;
    assert.deepEqual({ ...t }, { rls: true, anon: false, auth: false, svc: true }, table);
  }
}
