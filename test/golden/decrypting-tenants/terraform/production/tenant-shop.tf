# Tenant shop in the Flux environment production: its own KMS key, and the IAM role its
# ServiceAccount flux-sops-decryptor (namespace shop) assumes when kustomize-controller decrypts
# the tenant's own SOPS files (object-level workload identity: web identity through the cluster's
# IAM OIDC provider). The policies are the documents of iam/production/tenant-shop/.
# Removing the tenant removes this file: the next terraform apply deletes the role and schedules
# the key's deletion (a deleted block no longer protects its resource).

# Object-level workload identity is web-identity based, also on this EKS Pod Identity cluster:
# the cluster's IAM OIDC provider must exist (eksctl utils associate-iam-oidc-provider
# --cluster prod-eu --region eu-west-1 --approve). Both are looked up here.
data "aws_eks_cluster" "tenant_shop" {
  name = "prod-eu"
}

data "aws_iam_openid_connect_provider" "tenant_shop" {
  url = data.aws_eks_cluster.tenant_shop.identity[0].oidc[0].issuer
}

locals {
  # The cluster's OIDC issuer as IAM names it (without https://).
  tenant_shop_oidc_issuer = trimprefix(data.aws_eks_cluster.tenant_shop.identity[0].oidc[0].issuer, "https://")
}

# The key given for this tenant in production: looked up, never created or changed here.
data "aws_kms_key" "tenant_shop" {
  key_id = "arn:aws:kms:eu-west-1:123456789012:key/0f9e8d7c-1111-2222-3333-444455556666"
}

# The tenant's role: only flux-sops-decryptor of namespace shop on cluster prod-eu may
# assume it (trust policy = iam/production/tenant-shop/trust-policy.json).
resource "aws_iam_role" "tenant_shop" {
  name        = "flux-kms-decryptor-production-shop"
  description = "Flux kustomize-controller decrypts the SOPS files of tenant shop in environment production as shop/flux-sops-decryptor"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "FluxSopsTenantDecryptor"
        Effect = "Allow"
        Principal = {
          Federated = data.aws_iam_openid_connect_provider.tenant_shop.arn
        }
        Action = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "${local.tenant_shop_oidc_issuer}:aud" = "sts.amazonaws.com"
            "${local.tenant_shop_oidc_issuer}:sub" = "system:serviceaccount:shop:flux-sops-decryptor"
          }
        }
      },
    ]
  })
}

# What the role may do: kms:Decrypt on the tenant's key in production only.
resource "aws_iam_role_policy" "tenant_shop_decrypt" {
  name = "flux-sops-decrypt"
  role = aws_iam_role.tenant_shop.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DecryptFluxSopsSecrets"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = data.aws_kms_key.tenant_shop.arn
      },
    ]
  })
}

output "tenant_shop_role_arn" {
  description = "ARN of the IAM role of tenant shop's flux-sops-decryptor in this environment"
  value       = aws_iam_role.tenant_shop.arn
}

output "tenant_shop_kms_key_arn" {
  description = "ARN of tenant shop's KMS key in this environment (the key, not an alias)"
  value       = data.aws_kms_key.tenant_shop.arn
}
