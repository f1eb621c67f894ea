-- A stamped CFDI is, byte for byte, the signed XML the PAC received with one Complemento (the TimbreFiscalDigital)
-- inserted before </cfdi:Comprobante>. Storing that insertion next to the signed XML, instead of a second full
-- copy, halves what a 400k-invoice stamping round writes (no second TOAST value per document). The stamping code
-- stores the insertion only after checking that splicing it back gives exactly the PAC's answer; any other answer
-- is stored whole in stamped_xml as before. Read the stamped XML with cfdi_stamped_xml(d), never the columns.
ALTER TABLE cfdi_documents
    ADD COLUMN stamp_insert bytea,     -- the bytes the PAC inserted into signed_xml
    ADD COLUMN stamp_insert_at integer, -- at this 0-based byte offset of signed_xml
    ADD CONSTRAINT cfdi_documents_stamp_insert_pair CHECK ((stamp_insert IS NULL) = (stamp_insert_at IS NULL)),
    ADD CONSTRAINT cfdi_documents_stamp_insert_base CHECK (stamp_insert IS NULL OR signed_xml IS NOT NULL);

CREATE FUNCTION cfdi_stamped_xml(d cfdi_documents) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(d.stamped_xml, overlay(d.signed_xml PLACING d.stamp_insert FROM d.stamp_insert_at + 1 FOR 0)) $$;
