# The AWS side of the Flux environment staging: the KMS key its SOPS-encrypted Secrets are
# sealed with, and the IAM role kustomize-controller of cluster staging assumes to decrypt them.
# The policies are the documents of iam/staging/, with Terraform's own references.

# The fleet's region; and only this environment's account: run with credentials of another
# account, Terraform stops before it changes anything.
provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["123456789012"]
}

locals {
  # The cluster's OIDC issuer as IAM names it (without https://).
  oidc_issuer = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
  # The key's own ARN: IAM policies name the key itself, not an alias.
  kms_key_arn = aws_kms_key.sops.arn
}

# The environment's own KMS key: SOPS wraps the data key of every file of secrets/staging/
# with it. AWS rotates its key material yearly; deleting it waits 30 days, time to cancel
# (without the key, every Secret sealed only with it is lost). The key policy keeps the account
# root in control (IAM policies of the account apply) and lets the environment's role decrypt.
resource "aws_kms_key" "sops" {
  description             = "SOPS key of the Flux environment staging (generator-flux-sops)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "AccountRootFullControl"
        Effect = "Allow"
        Principal = {
          AWS = "arn:aws:iam::123456789012:root"
        }
        Action   = "kms:*"
        Resource = "*"
      },
      {
        Sid    = "FluxRoleDecrypts"
        Effect = "Allow"
        Principal = {
          AWS = aws_iam_role.kustomize_controller.arn
        }
        Action   = ["kms:Decrypt"]
        Resource = "*"
      },
    ]
  })

  # terraform destroy, or a change that would replace the key, stops here instead of scheduling
  # its deletion. To retire the environment deliberately: set this to false in a reviewed
  # commit, apply, then destroy.
  lifecycle {
    prevent_destroy = true
  }
}

# The name .sops.yaml and iam/staging/ use for the key.
resource "aws_kms_alias" "sops" {
  name          = "alias/flux-sops-staging"
  target_key_id = aws_kms_key.sops.key_id
}

# The cluster's IAM OIDC provider (IRSA), looked up by its issuer: created with the cluster's
# IRSA set-up (eksctl utils associate-iam-oidc-provider, or the module that made the cluster).
data "aws_iam_openid_connect_provider" "cluster" {
  url = "https://${local.oidc_issuer}"
}

# The environment's own role: only kustomize-controller (namespace flux-system) of this
# environment's cluster may assume it (trust policy = iam/staging/trust-policy.json).
resource "aws_iam_role" "kustomize_controller" {
  name        = "flux-kms-decryptor-staging"
  description = "Flux kustomize-controller of EKS cluster staging decrypts the SOPS Secrets of environment staging"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "FluxKustomizeControllerIRSA"
        Effect = "Allow"
        Principal = {
          Federated = data.aws_iam_openid_connect_provider.cluster.arn
        }
        Action = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "${local.oidc_issuer}:aud" = "sts.amazonaws.com"
            "${local.oidc_issuer}:sub" = "system:serviceaccount:flux-system:kustomize-controller"
          }
        }
      },
    ]
  })
}

# What the role may do: kms:Decrypt on this environment's key only
# (iam/staging/kms-decrypt-policy.json, naming the key itself rather than its alias).
resource "aws_iam_role_policy" "kms_decrypt" {
  name = "flux-sops-decrypt"
  role = aws_iam_role.kustomize_controller.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DecryptFluxSopsSecrets"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = local.kms_key_arn
      },
    ]
  })
}
