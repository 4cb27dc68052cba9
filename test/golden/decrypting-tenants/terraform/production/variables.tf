# No input variables: every value of this module comes from the fleet's answers (.yo-rc.json).
# Change them with the generator, so that iam/production/ and .sops.yaml follow.
