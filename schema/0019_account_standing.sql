-- What Meta last said about an account's standing (account_update webhooks about a policy
-- violation, a restriction, a ban or its lifting, a deletion): the event, a sentence built from
-- its details, and when it came. And the last decision on a number's display name
-- (phone_number_name_update). "" until Meta says anything.
ALTER TABLE accounts ADD COLUMN standing_event TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN standing_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN standing_updated_at TEXT NOT NULL DEFAULT '';
ALTER TABLE phone_numbers ADD COLUMN name_decision TEXT NOT NULL DEFAULT '';
ALTER TABLE phone_numbers ADD COLUMN requested_name TEXT NOT NULL DEFAULT '';
ALTER TABLE phone_numbers ADD COLUMN name_rejection_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE phone_numbers ADD COLUMN name_updated_at TEXT NOT NULL DEFAULT '';
