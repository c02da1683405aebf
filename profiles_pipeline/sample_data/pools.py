"""Fixed vocabularies the generator draws from: names, places, pages, campaigns, agents.

Small on purpose: realism comes from how values combine, and small pools keep the Parquet
dictionary-encoded and the generator fast."""

from __future__ import annotations

FIRST_NAMES = (
    "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony "
    "Betty Mark Sandra Donald Ashley Steven Emily Paul Kimberly Andrew Donna Joshua Michelle "
    "Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca "
    "Jason Sharon Edward Laura Jeffrey Cynthia Ryan Amy Jacob Kathleen Gary Angela Nicholas "
    "Shirley Eric Brenda Jonathan Emma Stephen Anna Larry Pamela Justin Nicole Scott Samantha "
    "Brandon Katherine Benjamin Christine Samuel Helen Gregory Debra Alexander Rachel Patrick "
    "Carolyn Frank Janet Raymond Maria Jack Olivia Dennis Heather Jerry Diane Tyler Julie Aaron "
    "Joyce Jose Victoria Adam Ruth Nathan Virginia Henry Lauren Zachary Kelly Douglas Christina "
    "Peter Joan Kyle Evelyn Noah Judith Ethan Andrea Jeremy Hannah Walter Megan Christian Cheryl "
    "Keith Jacqueline Roger Martha Terry Madison Austin Teresa Sean Gloria Gerald Sara Carl Janice "
    "Harold Ann Dylan Kathryn Arthur Abigail Lawrence Sophia Jordan Frances Jesse Jean Bryan "
    "Alice Billy Judy Bruce Isabella Gabriel Julia Joe Grace Logan Amber Alan Denise Juan Danielle "
    "Albert Marilyn Willie Beverly Elijah Charlotte Wayne Natalie Randy Theresa Vincent Diana "
    "Mason Brittany Roy Doris Ralph Kayla Bobby Alexis Russell Lori Bradley Marie Philip Yuki "
    "Wei Priya Arjun Fatima Mohammed Sofia Lucas Mateo Chloe Liam Aiko Hiroshi Ana Luis"
).split()

LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
    "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers "
    "Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson "
    "Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo "
    "Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell "
    "Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson "
    "Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera "
    "Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez "
    "Mcdonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns "
    "Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt "
    "Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer "
    "Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant "
    "Dunn Kelley Spencer Hawkins Arnold Pierce Hansen Peters Santos Hart Bradley Knight Elliott "
    "Tanaka Sato Muller Schneider Rossi Dubois Kowalski Novak Singh Kumar Yamamoto Li Wang Zhang"
).split()

EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me")
EMAIL_DOMAIN_WEIGHTS = (0.45, 0.15, 0.15, 0.1, 0.1, 0.05)

US_STATES = (
    "CA TX FL NY PA IL OH GA NC MI NJ VA WA AZ MA TN IN MO MD WI CO MN SC AL LA KY OR OK CT UT "
    "IA NV AR MS KS NM NE ID WV HI NH ME MT RI DE SD ND AK VT WY DC"
).split()

# (country, currency, share of people); state is only filled for US residents.
COUNTRIES = (
    ("US", "USD", 0.62),
    ("CA", "CAD", 0.08),
    ("GB", "GBP", 0.09),
    ("DE", "EUR", 0.07),
    ("FR", "EUR", 0.05),
    ("IN", "INR", 0.05),
    ("AU", "AUD", 0.04),
)

DEVICE_TYPES = ("mobile", "desktop", "tablet")
DEVICE_TYPE_WEIGHTS = (0.55, 0.35, 0.10)

USER_AGENTS = {
    "mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/123.0 Mobile/15E148 Safari/604.1",
    ),
    "desktop": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
    ),
    "tablet": (
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
    ),
}

SITE = "https://shop.example.com"

# (name, path, title, weight). Product and category pages dominate real e-commerce traffic.
PAGES = (
    ("Home", "/", "Example Shop | Home", 0.20),
    ("Category", "/c/shoes", "Shoes | Example Shop", 0.07),
    ("Category", "/c/jackets", "Jackets | Example Shop", 0.06),
    ("Category", "/c/bags", "Bags | Example Shop", 0.05),
    ("Category", "/c/sale", "Sale | Example Shop", 0.06),
    ("Product", "/p/trail-runner-2", "Trail Runner 2 | Example Shop", 0.06),
    ("Product", "/p/city-sneaker", "City Sneaker | Example Shop", 0.05),
    ("Product", "/p/rain-shell", "Rain Shell Jacket | Example Shop", 0.05),
    ("Product", "/p/down-parka", "Down Parka | Example Shop", 0.04),
    ("Product", "/p/weekender-bag", "Weekender Bag | Example Shop", 0.04),
    ("Product", "/p/daypack-20l", "Daypack 20L | Example Shop", 0.04),
    ("Product", "/p/wool-socks", "Wool Socks | Example Shop", 0.03),
    ("Search", "/search", "Search | Example Shop", 0.06),
    ("Cart", "/cart", "Your Cart | Example Shop", 0.05),
    ("Checkout", "/checkout", "Checkout | Example Shop", 0.03),
    ("Account", "/account", "Your Account | Example Shop", 0.03),
    ("Login", "/login", "Sign In | Example Shop", 0.03),
    ("Blog", "/blog/how-to-choose-running-shoes", "How to choose running shoes", 0.02),
    ("Blog", "/blog/layering-guide", "The layering guide", 0.02),
    ("Help", "/help/returns", "Returns | Help", 0.01),
)

# (campaign name, source, medium, weight); the first entry is "no campaign" (organic/direct).
CAMPAIGNS = (
    (None, None, None, 0.62),
    ("winter_sale", "google", "cpc", 0.08),
    ("winter_sale", "facebook", "paid_social", 0.06),
    ("brand_search", "google", "cpc", 0.05),
    ("newsletter_weekly", "newsletter", "email", 0.06),
    ("cart_reminder", "braze", "email", 0.03),
    ("spring_preview", "instagram", "paid_social", 0.04),
    ("retargeting", "criteo", "display", 0.03),
    ("affiliate_q1", "rakuten", "affiliate", 0.02),
    ("tiktok_launch", "tiktok", "paid_social", 0.01),
)

EXTERNAL_REFERRERS = (
    ("", 0.40),
    ("https://www.google.com/", 0.35),
    ("https://www.bing.com/", 0.05),
    ("https://www.facebook.com/", 0.08),
    ("https://www.instagram.com/", 0.05),
    ("https://duckduckgo.com/", 0.03),
    ("https://t.co/", 0.04),
)

TRACK_EVENT_TEXT = {
    "logged_in": "Logged In",
    "signed_up": "Signed Up",
    "product_viewed": "Product Viewed",
    "added_to_cart": "Added To Cart",
    "order_completed": "Order Completed",
}
