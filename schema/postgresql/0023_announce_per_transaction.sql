-- Two costs paid on every write, made smaller:
-- - Change announcements come from the store now: one NOTIFY on the schema's channel per writing
--   transaction, sent with its COMMIT (or after a write outside a transaction). The statement
--   triggers of the baseline ran a PL/pgSQL function after every writing statement.
-- - pons_fold, which messages.search (a generated column) calls for every message, becomes a
--   PL/pgSQL function: as an SQL function that cannot be inlined (unaccent is only STABLE), it
--   was parsed and planned again at every statement that inserted a message; PL/pgSQL keeps its
--   plan for the session. It returns what it returned before, so stored values stay valid.
DO $$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT tgrelid::regclass FROM pg_trigger
           WHERE tgname = 'pons_announce' AND NOT tgisinternal LOOP
    EXECUTE format('DROP TRIGGER pons_announce ON %s', t);
  END LOOP;
END
$$;
DROP FUNCTION pons_announce_change();

DO $$
DECLARE home text;
BEGIN
  SELECT n.nspname INTO home FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
   WHERE e.extname = 'unaccent';
  EXECUTE format('CREATE OR REPLACE FUNCTION pons_fold(t text) RETURNS text LANGUAGE plpgsql '
                 'IMMUTABLE PARALLEL SAFE STRICT AS %L',
                 format('BEGIN RETURN %I.unaccent(%L::regdictionary, t); END', home,
                        quote_ident(home) || '.unaccent'));
END
$$;
