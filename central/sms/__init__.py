"""SMS to seekers who opted in (issue 16): one `Notifier` interface (message.py), one real
provider (aliyun.py: Alibaba Cloud Dysmsapi SendSms), a local server speaking the same protocol
for tests and demos (testserver.py), the rules (policy.py: daily cap, quiet hours, language,
safe template parameters), and `deliver` (delivery.py), which applies them and keeps `sms_log`.
Configuration from the environment: config.py (central/README.md, "SMS to seekers")."""
