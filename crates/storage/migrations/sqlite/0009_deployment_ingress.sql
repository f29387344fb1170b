-- The services' domains and gateway settings as a deployment deployed them (JSON: service →
-- ingress), so the gateway keeps serving what runs until the next deployment, whatever the
-- stack's settings say meanwhile.
ALTER TABLE deployments ADD COLUMN ingress TEXT;
