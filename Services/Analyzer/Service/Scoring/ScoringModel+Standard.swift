extension ScoringModel {
    /// The built-in model. Weights are points added to a category (which is capped at 100); a category's score
    /// is then weighted into the total. Changing any number here means a new `version`.
    static let standardYAML = """
        version: "2026.11.1"
        categories:
          legal: 0.30
          financial: 0.25
          reputation: 0.10
          regulatory: 0.20
          registration: 0.15
        levels: {medium: 25, high: 50, critical: 75}
        # Share of confidence each source brings when it answers.
        sources: {dadata: 0.35, casebook: 0.25, infosphere: 0.20, tavily: 0.10, perplexity: 0.10}
        rules:
          registration.liquidated:       {weight: 100, severity: critical, floor: critical}
          registration.bankrupt:         {weight: 100, severity: critical, floor: critical}
          registration.liquidating:      {weight: 70, severity: high, floor: high}
          registration.reorganizing:     {weight: 30, severity: medium}
          registration.recently_registered: {weight: 40, severity: medium, params: {months: 12}}
          registration.mass_address:     {weight: 40, severity: high}
          registration.mass_director:    {weight: 40, severity: high}
          registration.unreliable_data:  {weight: 50, severity: high}
          registration.no_management:    {weight: 25, severity: medium}
          regulatory.sanctions:          {weight: 100, severity: critical, floor: critical}
          regulatory.disqualified_director: {weight: 80, severity: critical, floor: high}
          regulatory.cbr_warning:        {weight: 60, severity: high}
          regulatory.unfair_supplier:    {weight: 40, severity: medium}
          legal.bankruptcy_case:         {weight: 90, severity: high, floor: high}
          legal.defendant_cases:         {weight: 60, per_item: 6, severity: medium, params: {years: 3, high_count: 10}}
          legal.large_claims:            {weight: 40, severity: high, params: {roubles: 10000000}}
          legal.lost_cases:              {weight: 30, per_item: 10, severity: medium, params: {years: 3}}
          financial.tax_debt:            {weight: 60, severity: high}
          financial.enforcement:         {weight: 50, per_item: 15, severity: medium, params: {high_roubles: 1000000}}
          financial.losses:              {weight: 30, severity: medium}
          financial.penalties:           {weight: 10, severity: low}
          financial.minimal_capital:     {weight: 10, severity: low, params: {roubles: 10000}}
          reputation.negative_mentions:  {weight: 80, per_item: 20, severity: medium, params: {high_count: 3}}
        """
}
