-- The e-mail's rule is held once: users_email_lower_key (unique on
-- lower(email)) already refuses every e-mail users_email_key refused, and
-- two constraints for one rule made which one reports a duplicate depend
-- on the plan.
ALTER TABLE ?schema.users DROP CONSTRAINT users_email_key;
