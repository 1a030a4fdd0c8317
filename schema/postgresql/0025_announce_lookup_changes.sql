-- A pons-webhook writer remembers, from one group of webhooks to the next, what it looked up:
-- which account a number belongs to, who a sender is, which conversation a sender has with a
-- number, which forwarding targets are enabled. Every commit of another connection used to make
-- it forget all of that, and with two instances on one database the other one commits all the
-- time, so repeat senders were looked up again at every group. Those facts change rarely, and
-- only through the statements below: these announce them on the schema's channel with the
-- payload 'lookups', and the writer forgets only then. Other tables, and the columns of these
-- that ingest updates as messages arrive, announce nothing here.
CREATE FUNCTION pons_announce_lookups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('pons_changes:' || TG_TABLE_SCHEMA, 'lookups');
  RETURN NULL;
END
$$;

CREATE TRIGGER pons_lookups AFTER DELETE OR UPDATE OF waba_id ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION pons_announce_lookups();
CREATE TRIGGER pons_lookups AFTER DELETE OR UPDATE OF phone_number_id, account_id
  ON phone_numbers FOR EACH STATEMENT EXECUTE FUNCTION pons_announce_lookups();
CREATE TRIGGER pons_lookups AFTER DELETE OR UPDATE OF account_id, wa_id, user_id, username,
  profile_name, parent_user_id ON contacts
  FOR EACH STATEMENT EXECUTE FUNCTION pons_announce_lookups();
CREATE TRIGGER pons_lookups AFTER DELETE OR UPDATE OF phone_number_id, contact_id
  ON conversations FOR EACH STATEMENT EXECUTE FUNCTION pons_announce_lookups();
CREATE TRIGGER pons_lookups AFTER INSERT OR DELETE OR UPDATE OF phone_number_id, event_types,
  enabled ON webhook_targets FOR EACH STATEMENT EXECUTE FUNCTION pons_announce_lookups();
