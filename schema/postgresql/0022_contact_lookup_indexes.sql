-- A contact is looked up by its number, its user id or its username without an account (the
-- send flow's recipient, get_messages' contact filter): the unique indexes lead with the
-- account and are partial, so those lookups read every contact. One index per way in.
CREATE INDEX contacts_by_wa_id ON contacts(wa_id);
CREATE INDEX contacts_by_user_id ON contacts(user_id);
CREATE INDEX contacts_by_username ON contacts(username);
CREATE INDEX contacts_by_username_folded ON contacts(lower(username));
