-- The answer term of an ARCO request may be extended once (LGPDPPSO art. 51: up to ten more business days, justified
-- and notified to the titular within the original term): when, by whom and why, next to the request.
ALTER TABLE arco_requests
    ADD COLUMN extended_at      timestamptz,
    ADD COLUMN extended_by      text,
    ADD COLUMN extension_reason text,
    ADD CONSTRAINT arco_requests_extension_complete
        CHECK ((extended_at IS NULL) = (extension_reason IS NULL) AND (extended_at IS NULL) = (extended_by IS NULL));
